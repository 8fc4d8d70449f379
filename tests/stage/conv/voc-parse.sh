# voc-parse reads a devkit: one made here with 50 annotations (the images are
# empty files, which is enough when the XML gives the size).
mkdir -p "$T/voc/Annotations" "$T/voc/JPEGImages"
for i in 0 1 2 3 4 5 6 7 8 9; do
  for j in 0 1 2 3 4; do
    printf '<annotation><size><width>64</width><height>48</height></size><object><name>dog</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>\n' > "$T/voc/Annotations/$i$j.xml"
    : > "$T/voc/JPEGImages/$i$j.jpg"
  done
done
small="$T/voc/Annotations/00.xml"
big="$T/voc"
