"""Unpacks a .deb's data archive (ar + tar) into a folder: the prefix step's
fallback on a machine without dpkg.  Usage: deb_extract.py FILE.deb DEST"""
import io
import sys
import tarfile


def main(deb, dest):
    data = open(deb, "rb").read()
    if data[:8] != b"!<arch>\n":
        sys.exit(f"{deb}: not an ar archive")
    pos = 8
    while pos < len(data):
        name = data[pos:pos + 16].decode().strip().rstrip("/")
        size = int(data[pos + 48:pos + 58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                tar.extractall(dest)
            return
    sys.exit("no data.tar in " + deb)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
