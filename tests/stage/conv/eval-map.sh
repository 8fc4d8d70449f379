# eval-map reads records with objects (gen-records writes three a record and
# no detections: every class has AP 0) and prints its table at the end; 3000
# records give a table longer than `head -c 100` reads.
small="--quiet $T/in.mp"
big="--quiet $T/big.mp"
