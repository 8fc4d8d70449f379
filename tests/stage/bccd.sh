# Sourced by the stage tests that read a real dataset (after lib.sh):
# bccd_devkit makes BCCD's devkit in $T/BCCD from tests/data/bccd/ (its
# annotations and split lists, byte for byte) with one generated 640x480
# JPEG linked in place of each of its pictures (all are 640x480; the tests
# read their names and sizes, not their pixels), and sets BCCD and
# BCCD_NAMES. 0, or 1 with a TAP comment saying what failed.
bccd_devkit() {
  BCCD=$T/BCCD
  BCCD_NAMES=$(pwd)/tests/data/bccd/bccd.names
  mkdir -p "$BCCD/JPEGImages" &&
    tar -C "$BCCD" -xzf tests/data/bccd/annotations.tar.gz &&
    synth-voc --quiet --out "$T/bccd-picture" --count 1 --size 640x480 --seed 1 --noise 0 ||
    { echo "# BCCD: the devkit could not be made in $BCCD"; return 1; }
  for _x in "$BCCD"/Annotations/*.xml; do
    _id=$(basename "$_x" .xml)
    ln "$T/bccd-picture/JPEGImages/000001.jpg" "$BCCD/JPEGImages/$_id.jpg" || return 1
  done
}
