#!/bin/sh
# Makes the demo streams' fixtures (needs ffmpeg with libvpx and libopus: apt-get install ffmpeg).
# Video: 3 s of ffmpeg's testsrc pattern, 320x180 at 30 fps, VP8 in an IVF file (a 32-byte header,
# then per frame a 12-byte header and the frame: trivial to parse). A keyframe every 45 frames (1.5 s:
# a whole number of 60 ms audio packets, so a jump to a keyframe keeps the sound aligned); no alt-ref
# frames (invisible frames would break the one-chunk-one-picture assumption of the relay and WebCodecs).
# Audio: the same 3 s, a 100 ms 1 kHz beep at the start of each second (when testsrc's counter
# changes), Opus mono 48 kHz in 60 ms packets at 32 kbit/s, in an Ogg file (RFC 7845).
# Run from anywhere: sh server/demo/make-fixture.sh
set -eu
here=$(dirname "$0")
video="$here/testsrc-320x180-vp8.ivf"
audio="$here/beep-opus-60ms.ogg"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=320x180:rate=30:duration=3" \
  -pix_fmt yuv420p -c:v libvpx -b:v 200k -minrate 200k -maxrate 200k \
  -g 45 -keyint_min 45 -auto-alt-ref 0 -lag-in-frames 0 -deadline good -cpu-used 4 \
  -f ivf "$video"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "aevalsrc=exprs='if(lt(mod(t\,1)\,0.1)\,0.5*sin(2*PI*1000*t)\,0)':s=48000:d=3" \
  -c:a libopus -b:a 32k -frame_duration 60 -application audio -ac 1 \
  -map_metadata -1 -fflags +bitexact -flags:a +bitexact \
  -f ogg "$audio"
ls -l "$video" "$audio"

# The demo streams' thumbnails: one still of that same video from the middle of each second (testsrc's
# counter differs in each), 320x180 JPEGs of about 5 KB, shown in turn so the home page's card changes.
stills="$here/stills"
mkdir -p "$stills"
rm -f "$stills"/testsrc-*.jpg
ffmpeg -hide_banner -loglevel error -y -i "$video" \
  -vf "select='eq(mod(n\,30)\,15)'" -fps_mode vfr -q:v 6 "$stills/testsrc-%d.jpg"
ls -l "$stills"
