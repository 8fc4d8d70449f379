# dataset-write writes a dataset folder, not stdout: voc-parse's records of a
# small synth-voc dataset, written as yolo. --force: the runs below share the
# folder; --quiet: no summary line on stderr (the valid run expects stderr
# empty). Its required options come before any file argument, so the check
# of a missing file is left to tests/stage/test_dataset_write.sh.
synth-voc --out "$T/dsw-conv-voc" --count 4 --size 96x96 --force --quiet
voc-parse -q "$T/dsw-conv-voc" > "$T/dsw-conv.mp"
small="--format yolo --out $T/dsw-conv --split train --force --quiet $T/dsw-conv.mp"
big=$small
no_missing_file=1
no_stdout=1
