#!/usr/bin/python3
"""Serve a recording as an RTSP camera on 127.0.0.1 (gst-rtsp-server), for tests without hardware.

usage: rtsp-camera.py FILE PORT MOUNT FPS [--loop] [--codec jpeg|h264] [--gop N]
Prints 'READY rtsp://127.0.0.1:PORT/MOUNT' once listening. The file is decoded by its own reader
pipeline; every decoded frame is re-stamped at FPS (frame n at n/FPS s) and pushed into the RTSP
media (RTP/JPEG, plugins-good only; or H.264 with x264enc from plugins-ugly, `--codec h264`, a
keyframe every `--gop` frames, as IP cameras send), so the camera runs at FPS whatever the file's rate. With
--loop the reader seeks back to the start at end of file and the stream never ends; without it
the stream ends (EOS) after the last frame.
Needs Debian gir1.2-gst-rtsp-server-1.0 + python3-gi; run with /usr/bin/python3.
"""
import re
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
path, port, mount, fps = sys.argv[1], sys.argv[2], sys.argv[3].strip('/'), int(sys.argv[4])
loop = '--loop' in sys.argv[5:]
options = sys.argv[5:]
codec = options[options.index('--codec') + 1] if '--codec' in options else 'jpeg'
gop = int(options[options.index('--gop') + 1]) if '--gop' in options else 2 * fps
quoted = '"' + path.replace('\\', '\\\\').replace('"', '\\"') + '"'

# The reader decodes on demand (the RTSP side pulls when it needs a frame), so nothing queues up.
reader = Gst.parse_launch(f'filesrc location={quoted} ! decodebin ! videoconvert ! video/x-raw,format=I420 '
                          f'! appsink name=sink sync=false max-buffers=2')
reader_sink = reader.get_by_name('sink')
reader.set_state(Gst.State.PLAYING)
first = reader_sink.emit('pull-sample')
if first is None:
    sys.stderr.write(f'cannot decode {path}\n')
    sys.exit(1)
# Caps edited as text: Gst.Fraction needs the gst-python overrides, which Debian ships separately.
caps_text = re.sub(r'framerate=\(fraction\)[0-9/]+', f'framerate=(fraction){fps}/1', first.get_caps().to_string())
if 'framerate=' not in caps_text:
    caps_text += f', framerate=(fraction){fps}/1'
caps = Gst.Caps.from_string(caps_text)
state = {'pending': first}
frame_ns = Gst.SECOND // fps


def next_sample():
    if state['pending'] is not None:
        sample, state['pending'] = state['pending'], None
        return sample
    sample = reader_sink.emit('pull-sample')
    if sample is None and loop:
        reader.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE, 0)
        sample = reader_sink.emit('pull-sample')
    return sample


def on_need_data(src, _length, media_state):
    sample = next_sample()
    if sample is None:
        src.emit('end-of-stream')
        return
    buf = sample.get_buffer().copy()
    # Timestamps start at 0 for each new media (the shared media is rebuilt when a client comes back
    # after all had left): continuing the global count would hold every frame until the media's
    # clock caught up with the time of the earlier sessions (first frames seconds late).
    buf.pts = media_state['n'] * frame_ns
    buf.dts = buf.pts
    buf.duration = frame_ns
    media_state['n'] += 1
    src.emit('push-buffer', buf)


def on_media_configure(_factory, media):
    src = media.get_element().get_child_by_name('src')
    src.set_property('caps', caps)
    src.connect('need-data', on_need_data, {'n': 0})


server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
if codec == 'h264':
    # Baseline-like, no B-frames, zero latency: what IP cameras stream; config in-band at every keyframe.
    encoder = (f'x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate=1500 '
               '! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=-1')
else:
    encoder = 'jpegenc quality=85 ! rtpjpegpay name=pay0 pt=96'
factory.set_launch(f'( appsrc name=src is-live=true format=time ! videoconvert ! {encoder} )')
factory.set_shared(True)
factory.connect('media-configure', on_media_configure)
server.get_mount_points().add_factory('/' + mount, factory)
if server.attach(None) == 0:
    sys.stderr.write(f'cannot listen on 127.0.0.1:{port}\n')
    sys.exit(1)
print(f'READY rtsp://127.0.0.1:{port}/{mount}', flush=True)
GLib.MainLoop().run()
