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
