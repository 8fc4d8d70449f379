# synth-voc writes a dataset folder, not stdout, and takes no file arguments.
# --force: the runs below share the folder; --quiet: no summary line on
# stderr (the valid run expects stderr empty).
small="--out $T/synth-voc-conv --count 2 --size 96x96 --force --quiet"
big=$small
no_missing_file=1
no_stdout=1
