#!/usr/bin/env python3
"""Test helper (layer 1 holds /bin/busybox, so the image runs) for the registry integration tests (RegistryPullTests.swift).

  layout DIR            write an OCI image layout: tag `v1` (3 gzip layers, one a whiteout and one an
                        opaque directory), `multi` (an index for linux/amd64 and linux/arm64), `armonly`
                        (an index with linux/arm64 and linux/s390x only)
  token PORT_FILE KEY CERT USER PASS
                        a Bearer token service on 127.0.0.1 (port written to PORT_FILE) issuing JWTs
                        (RS256, x5c) that docker-registry's token auth accepts; Basic USER:PASS required
  proxy PORT_FILE TARGET_PORT CUT_AFTER once|always
                        a TCP proxy to 127.0.0.1:TARGET_PORT that cuts a blob response longer than
                        CUT_AFTER bytes after CUT_AFTER body bytes (a dropped connection): the first time
                        each blob is fetched, or every time
"""
import base64, gzip, hashlib, http.server, io, json, os, socket, subprocess, sys, tarfile, threading, time, urllib.parse


def blob(dir, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(dir, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(dir, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for entry in entries:
            name, content = entry[0], entry[1]
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            elif isinstance(content, tuple):  # ("hardlink" | "symlink", target)
                info.type = tarfile.LNKTYPE if content[0] == "hardlink" else tarfile.SYMTYPE
                info.linkname = content[1]
                t.addfile(info)
            else:
                info.size = len(content)
                info.mode = entry[2] if len(entry) > 2 else 0o644
                t.addfile(info, io.BytesIO(content))
    tar = raw.getvalue()
    return tar, gzip.compress(tar, mtime=0)


def write_layout(dir):
    layers = [
        layer([("bin", None), ("bin/busybox", open("/bin/busybox", "rb").read(), 0o755), ("etc", None), ("etc/hello", b"one\n"),
               ("etc/gone", b"bye\n"), ("data", None), ("data/a", b"a\n")]),
        layer([("etc", None), ("etc/.wh.gone", b""), ("etc/hello", b"two\n"), ("etc/hello-again", ("hardlink", "etc/hello"))]),
        layer([("data", None), ("data/.wh..wh..opq", b""), ("data/b", b"b\n"), ("big", os.urandom(200000)),
               ("bin/sh", ("symlink", "busybox"))]),
    ]
    descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(dir, gz), "size": len(gz)} for _, gz in layers]
    diff_ids = ["sha256:" + hashlib.sha256(tar).hexdigest() for tar, _ in layers]

    def image(arch):
        config = json.dumps({"created": "2026-01-01T00:00:00Z", "architecture": arch, "os": "linux",
                             "config": {"Env": ["PATH=/bin", "GREETING=hi"], "Entrypoint": ["/bin/busybox", "sh", "-c"],
                                        "Cmd": ["cat /etc/hello; test ! -e /etc/gone && echo gone-is-gone; echo data=$(ls); echo greeting=$GREETING; echo pwd=$(pwd); echo uid=$(id -u); echo links=$(stat -c %h /etc/hello-again); /bin/sh -c 'echo via-symlink'"],
                                        "WorkingDir": "/data", "User": "1000:1000"},
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(dir, config), "size": len(config)},
                               "layers": descs}).encode()
        return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(dir, manifest), "size": len(manifest),
                "platform": {"os": "linux", "architecture": arch}}

    amd, arm, s390 = image("amd64"), image("arm64"), image("s390x")

    def index(entries):
        data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).encode()
        return {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": blob(dir, data), "size": len(data)}

    top = []
    for tag, desc in [("v1", amd), ("multi", index([amd, arm])), ("armonly", index([arm, s390]))]:
        d = dict(desc)
        d.pop("platform", None)
        d["annotations"] = {"org.opencontainers.image.ref.name": tag}
        top.append(d)
    with open(os.path.join(dir, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": top}, f)
    with open(os.path.join(dir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(json.dumps({"v1": amd["digest"], "layers": [d["digest"] for d in descs]}))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_server(port_file, key, cert, user, password):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            access = []
            for scope in q.get("scope", []):
                kind, name, actions = scope.split(":")
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
            claims = {"iss": "berth-test", "sub": user, "aud": q.get("service", [""])[0], "exp": now + 300, "nbf": now - 10,
                      "iat": now, "jti": os.urandom(8).hex(), "access": access}
            signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(), check=True, capture_output=True).stdout
            body = json.dumps({"token": signing + "." + b64url(sig), "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


def proxy(port_file, target_port, cut_after, mode):
    cut_after = int(cut_after)
    seen = set()
    lock = threading.Lock()

    def handle(client):
        upstream = socket.create_connection(("127.0.0.1", int(target_port)))
        request = b""
        while b"\r\n\r\n" not in request:
            data = client.recv(65536)
            if not data:
                client.close(); upstream.close(); return
            request += data
        upstream.sendall(request)
        line = request.split(b"\r\n", 1)[0].decode()
        path = line.split(" ")[1]
        cut = False
        if "/blobs/" in path and (mode == "always" or b"\r\nrange:" not in request.lower()):
            with lock:
                if mode == "always" or path not in seen:
                    seen.add(path)
                    cut = True
        response = b""
        while b"\r\n\r\n" not in response:
            data = upstream.recv(65536)
            if not data:
                break
            response += data
        head, _, body = response.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if cut and length > cut_after:
            while len(body) < cut_after:
                data = upstream.recv(65536)
                if not data:
                    break
                body += data
            body = body[:cut_after]
        else:
            while len(body) < length:
                data = upstream.recv(65536)
                if not data:
                    break
                body += data
        # One request per connection: the client sees the connection close after each response.
        client.sendall(head + b"\r\n\r\n" + body)
        client.close()
        upstream.close()

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=handle, args=(client,), daemon=True).start()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "layout":
        write_layout(sys.argv[2])
    elif cmd == "token":
        token_server(*sys.argv[2:7])
    elif cmd == "proxy":
        proxy(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
