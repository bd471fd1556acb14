#!/usr/bin/python3
"""Serve a recording as an RTSP camera on 127.0.0.1 (gst-rtsp-server), for tests without hardware.

usage: rtsp-camera.py FILE PORT MOUNT FPS
Prints 'READY rtsp://127.0.0.1:PORT/MOUNT' once listening. Frames are re-timed to FPS and sent
as RTP/JPEG (plugins-good only). The stream ends (EOS) at the end of the file.
Needs Debian gir1.2-gst-rtsp-server-1.0 + python3-gi; run with /usr/bin/python3.
"""
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
path, port, mount, fps = sys.argv[1], sys.argv[2], sys.argv[3].strip('/'), int(sys.argv[4])
quoted = '"' + path.replace('\\', '\\\\').replace('"', '\\"') + '"'
launch = (f'( filesrc location={quoted} ! decodebin ! videoconvert ! videorate ! video/x-raw,framerate={fps}/1 '
          f'! jpegenc quality=85 ! rtpjpegpay name=pay0 pt=96 )')

server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(launch)
factory.set_shared(True)
server.get_mount_points().add_factory('/' + mount, factory)
if server.attach(None) == 0:
    sys.stderr.write(f'cannot listen on 127.0.0.1:{port}\n')
    sys.exit(1)
print(f'READY rtsp://127.0.0.1:{port}/{mount}', flush=True)
GLib.MainLoop().run()
