#!/bin/sh
# Checks that the Debian packages a make goal needs are installed; installs the
# missing ones with apt-get when running as root, else prints the exact command
# and fails. Usage: scripts/deps.sh build|test|mpi
# Open MPI (openmpi-bin, libopenmpi-dev: data-parallel training under mpirun,
# docs/scale-out.md) is optional for build and test: installed with the rest
# when running as root, else only named; the build then has no MPI. `mpi`
# asks for it alone, as the others do for theirs. MPI=0 leaves it out.
set -eu
goal=${1:-build}

# pkg-config module -> Debian package. OpenBLAS is its OpenMP build (one
# thread pool with the stages' own OpenMP loops; the pthread build's threads
# and OpenMP's spin against each other): its .pc file is looked up alone.
build_pc="msgpack:libmsgpack-dev libxml-2.0:libxml2-dev libturbojpeg:libturbojpeg0-dev
libjpeg:libjpeg62-turbo-dev libpng:libpng-dev openblas-openmp:libopenblas-openmp-dev
yajl:libyajl-dev libavformat:libavformat-dev libavcodec:libavcodec-dev
libswscale:libswscale-dev libavutil:libavutil-dev libavdevice:libavdevice-dev"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
pc_exists() {
  case $1 in
    openblas-openmp) PKG_CONFIG_LIBDIR=/usr/lib/$multiarch/openblas-openmp/pkgconfig \
                       pkg-config --exists openblas ;;
    *) pkg-config --exists "$1" ;;
  esac
}
# command or file -> Debian package
build_cmd="gcc:gcc make:make pkg-config:pkg-config"
# GNU parallel runs the shards of pipelines/eval.sh and detect.sh -j, -S
# (the pipelines say so when it is missing; the tests use it); the ffmpeg
# program makes the video tests' videos
test_cmd="jq:jq /usr/bin/python3:python3 cmp:diffutils parallel:parallel ffmpeg:ffmpeg"
test_py="msgpack:python3-msgpack numpy:python3-numpy"
mpi_pc="ompi-c:libopenmpi-dev"
mpi_cmd="mpirun:openmpi-bin"

missing="" optional=""
add() { case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac; }
add_optional() { case " $optional " in *" $1 "*) ;; *) optional="$optional $1" ;; esac; }

for pair in $build_cmd; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || add "${pair#*:}"
done
if command -v pkg-config >/dev/null 2>&1; then
  for pair in $build_pc; do
    pc_exists "${pair%%:*}" 2>/dev/null || add "${pair#*:}"
  done
else
  for pair in $build_pc; do add "${pair#*:}"; done
fi
# the sanitizer runtimes come with gcc's libasan/libubsan; the headers of
# libc are in libc6-dev
[ -e /usr/include/stdio.h ] || add libc6-dev
if [ "$goal" = test ]; then
  for pair in $test_cmd; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "${pair%%:*}" ] || add "${pair#*:}"
  done
  for pair in $test_py; do
    if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c "import ${pair%%:*}" 2>/dev/null; then
      add "${pair#*:}"
    fi
  done
fi

if [ "${MPI:-1}" != 0 ]; then
  for pair in $mpi_cmd; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || add_optional "${pair#*:}"
  done
  for pair in $mpi_pc; do
    pkg-config --exists "${pair%%:*}" 2>/dev/null || add_optional "${pair#*:}"
  done
fi
if [ "$goal" = mpi ]; then
  missing=$optional optional=""
elif [ -n "$optional" ] && [ "$(id -u)" = 0 ]; then
  missing="$missing$optional" optional=""
elif [ -n "$optional" ]; then
  echo "deps: optional, for training under mpirun:$optional (not installed: building" \
       "without MPI; sudo apt-get install -y --no-install-recommends$optional)" >&2
fi
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >>"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "deps: '$cmd' failed" >&2; exit 1
  fi
  rm -f "$log"
else
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run:  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
