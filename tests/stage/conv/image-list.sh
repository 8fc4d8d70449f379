# image-list reads JPEG files: copies of one 24x16 JPEG (415 bytes, made with
# libjpeg-turbo's tjCompress2 and written out here so that this check needs
# nothing from outside). A missing path is a warning, not an error.
mkdir -p "$T/il"
printf '%s' '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8ybqmx5moq6T/wAALCAAQABgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AGvCIpsLCApAIAtlkx+K8U+aPdbk+Xjb83Nu0Q98svbFRwSw/wB+2/7/AMlPukHkiQoFCHktC0KgH1K/h1pIJYf79t/3/koRpUcqs80gH8Szpg/mAa//2Q==' | base64 -d > "$T/il/a.jpg"
for i in 1 2 3 4 5 6 7 8; do cp "$T/il/a.jpg" "$T/il/b$i.jpg"; done
small="$T/il/a.jpg"
big="$T/il"
no_missing_file=1
