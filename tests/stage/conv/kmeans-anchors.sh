# kmeans-anchors writes one anchors record at the end of its input (about
# 170 bytes with k = 5; --k 20 makes it over 300, more than `head -c 100`
# reads) and its cfg line on stderr, which --quiet leaves out so the checks
# of an empty stderr apply.
small="--quiet $T/in.mp"
big="--quiet --k 20 $T/big.mp"
