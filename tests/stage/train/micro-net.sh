# The micro YOLOv3-style network of the training tests (test_train.sh,
# test_mpi.sh): 64x64, three convolutions with batch norm, one [yolo] head on
# an 8x8 grid. Sourced; net_cfg KEYS prints the cfg, KEYS the [net] training
# keys, one per line (printf %b).
net_cfg() {
  printf '[net]\nwidth=64\nheight=64\nchannels=3\n%b\n' "$1"
  for f in 8 16 32; do
    printf '\n[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=3\nstride=1\npad=1\nactivation=leaky\n' $f
    printf '\n[maxpool]\nsize=2\nstride=2\n'
  done
  printf '\n[convolutional]\nsize=1\nstride=1\npad=1\nfilters=30\nactivation=linear\n'
  printf '\n[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32\nclasses=5\nnum=3\njitter=0\nignore_thresh=.7\n'
}
