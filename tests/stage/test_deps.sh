# scripts/deps.sh, which `make` and `make test` run first: missing Debian
# packages are found (pkg-config, commands, Python modules), installed with
# apt-get as root, and otherwise named in the exact command to run. Fake
# pkg-config, id and apt-get on PATH stand in for a machine without them.
. tests/stage/lib.sh
mkdir -p "$T/fake"
cat > "$T/fake/pkg-config" <<'SH'
#!/bin/sh
# every module is missing but libxml-2.0
for a; do case "$a" in --*) ;; libxml-2.0) exit 0 ;; *) exit 1 ;; esac; done
exit 1
SH
cat > "$T/fake/id" <<'SH'
#!/bin/sh
echo "${FAKE_UID:-1000}"
SH
cat > "$T/fake/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $*" >> "$FAKE_LOG"
SH
chmod +x "$T/fake/"*
export FAKE_LOG="$T/apt.log"

# MPI=0: Open MPI (optional) left out; its checks are below
out=$(PATH="$T/fake:$PATH" FAKE_UID=1000 MPI=0 sh scripts/deps.sh build 2>&1); rc=$?
check_eq "not root, packages missing: exit 1" "$rc" 1
check_match "not root: names the missing packages" "$out" \
  "missing Debian packages: libmsgpack-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libopenblas-openmp-dev libyajl-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev"
check_match "not root: prints the exact command" "$out" \
  "run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends libmsgpack-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libopenblas-openmp-dev libyajl-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev$"
check "not root: nothing installed" [ ! -e "$FAKE_LOG" ]

out=$(PATH="$T/fake:$PATH" FAKE_UID=0 MPI=0 sh scripts/deps.sh build 2>&1); rc=$?
check_eq "root: exit 0 after installing" "$rc" 0
check_match "root: apt-get installs exactly the missing packages" "$(tail -1 "$FAKE_LOG")" \
  "^apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends libmsgpack-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libopenblas-openmp-dev libyajl-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev$"

# Open MPI, optional: installed with the rest as root (openmpi-bin too when
# this machine has no mpirun), only named otherwise; `mpi` asks for it alone
out=$(PATH="$T/fake:$PATH" FAKE_UID=1000 sh scripts/deps.sh build 2>&1); rc=$?
check_match "not root: Open MPI named as optional (building without MPI), beside the missing packages" "$rc $out" \
  "^1 .*deps: optional, for training under mpirun:( openmpi-bin)? libopenmpi-dev \(not installed: building without MPI"
out=$(PATH="$T/fake:$PATH" FAKE_UID=0 sh scripts/deps.sh build 2>&1); rc=$?
check_match "root: Open MPI installed with the missing packages" "$rc $(tail -1 "$FAKE_LOG")" \
  "^0 apt-get install .* libyajl-dev( [a-z0-9.-]+)* libopenmpi-dev$"
out=$(PATH="$T/fake:$PATH" FAKE_UID=1000 sh scripts/deps.sh mpi 2>&1); rc=$?
check_match "deps.sh mpi, not root: exit 1, names Open MPI alone" "$rc $out" \
  "^1 .*missing Debian packages:( openmpi-bin)? libopenmpi-dev"

# all there (the real pkg-config): nothing to do, nothing printed
out=$(sh scripts/deps.sh test 2>&1); rc=$?
check_eq "everything installed: exit 0, silent" "$rc:$out" "0:"
done_testing
