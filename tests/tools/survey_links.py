"""The survey links the channel receiver (http_receiver.py) was sent, for
the load tools that play customers answering them (chaos_load.py,
suite_load.py)."""
import base64
import json
import re
import uuid

LINK = re.compile(r"(http://[^\s\"]+)/s/([A-Za-z0-9_-]+)")


def invitation_of(token):
    """The invitation id a link's token carries (its first 16 bytes)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return str(uuid.UUID(bytes=raw[:16]))


class LinkFollower:
    """Reads the receiver's log from pos on; new_links() returns each link
    (host:port, token) once, however often the invitation was delivered
    (delivery is at-least-once)."""

    def __init__(self, path, pos=0):
        self.path, self.pos, self.seen = path, pos, set()

    def new_links(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                chunk = f.read()
        except OSError:
            return []
        nl = chunk.rfind(b"\n")
        if nl < 0:
            return []
        self.pos += nl + 1
        found = []
        for line in chunk[:nl + 1].decode("utf-8", "replace").splitlines():
            try:
                text = json.loads(json.loads(line)["body"]).get("text", "")
            except (ValueError, KeyError, TypeError):
                continue
            m = LINK.search(text)
            if m and m.group(2) not in self.seen:
                self.seen.add(m.group(2))
                found.append((m.group(1).replace("http://", ""), m.group(2)))
        return found
