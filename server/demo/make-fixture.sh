#!/bin/sh
# Makes the demo streams' fixture: 4 s of ffmpeg's testsrc pattern, 320x180 at 30 fps, VP8 in an
# IVF file (a 32-byte header, then per frame a 12-byte header and the frame: trivial to parse).
# A keyframe every 30 frames (1 s) so late joiners start fast; no alt-ref frames (invisible
# frames would break the one-chunk-one-picture assumption of the relay and WebCodecs).
# Run from anywhere: sh server/demo/make-fixture.sh
set -eu
here=$(dirname "$0")
out="$here/testsrc-320x180-vp8.ivf"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=320x180:rate=30:duration=4" \
  -pix_fmt yuv420p -c:v libvpx -b:v 200k -minrate 200k -maxrate 200k \
  -g 30 -keyint_min 30 -auto-alt-ref 0 -lag-in-frames 0 -deadline good -cpu-used 4 \
  -f ivf "$out"
ls -l "$out"

# The demo streams' thumbnails: one still of that same video from the middle of each second (testsrc's
# counter differs in each), 320x180 JPEGs of about 5 KB, shown in turn so the home page's card changes.
stills="$here/stills"
mkdir -p "$stills"
rm -f "$stills"/testsrc-*.jpg
ffmpeg -hide_banner -loglevel error -y -i "$out" \
  -vf "select='eq(mod(n\,30)\,15)'" -fps_mode vfr -q:v 6 "$stills/testsrc-%d.jpg"
ls -l "$stills"
