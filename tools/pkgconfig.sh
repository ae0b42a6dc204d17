#!/usr/bin/env bash
# Writes lrengine.pc or lrengine-script.pc for an installation prefix.
#   tools/pkgconfig.sh lrengine|lrengine-script VERSION PREFIX LIBDIR INCLUDEDIR
# Static linking: pkg-config --static adds the Libs.private and the
# Requires.private (Lua 5.4) a static liblrengine and liblrengine-script need.
set -eu
name=$1 version=$2 prefix=$3 libdir=$4 includedir=$5
# ${prefix} in the paths below it, as pkg-config files usually have them
libdir=${libdir/#$prefix/\$\{prefix\}}
includedir=${includedir/#$prefix/\$\{prefix\}}
cat <<PC
prefix=$prefix
libdir=$libdir
includedir=$includedir

PC
case $name in
lrengine) cat <<PC
Name: lrengine
Description: Optimizers and learning-rate schedules with PyTorch semantics (the C core, no Lua)
Version: $version
Libs: -L\${libdir} -llrengine
Libs.private: -lopenblas -lz -lm -fopenmp
Cflags: -I\${includedir}
PC
;;
lrengine-script) cat <<PC
Name: lrengine-script
Description: lrengine's schedule scripts and configs for C programs (Lua 5.4, sandboxed)
Version: $version
Requires: lrengine = $version
Requires.private: lua5.4
Libs: -L\${libdir} -llrengine-script
Libs.private: -lm
Cflags: -I\${includedir}
PC
;;
*) echo "pkgconfig.sh: unknown library $name" >&2; exit 1 ;;
esac
