// @ts-check
// The viewer page's script (served inline in viewer.html by viewer-page.ts; type-checked with
// tsconfig.viewer.json and linted like the rest). Runs in the browser: no imports, DOM only.

const PREVIEW_FPS = Number(new URLSearchParams(location.search).get('fps') || 5);
const token = new URLSearchParams(location.search).get('token');
/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const picture = /** @type {HTMLCanvasElement} */ ($('picture')),
  overlay = /** @type {HTMLCanvasElement} */ ($('overlay'));
/**
 * What was drawn last, for tests and debugging. `remoteNode`: in a fleet, the node that runs the
 * shown camera when it is not this one (its pictures stay there; only tracks are drawn).
 * @type {{ drawn: number, last: { frameIndex: number, width: number, height: number, tracks: any[] } | null, camera: string | null, errors: string[], playing?: string, remoteNode: string | null }}
 */
const viewer = { drawn: 0, last: null, camera: null, errors: [], remoteNode: null };
/** @type {any} */ (window).edgevisViewer = viewer;
let geometry = { zones: [], lines: [] }; // the selected camera's zones and lines (frame pixels)
const pictures = new Map(); // frameIndex -> ImageBitmap
const snapshots = new Map(); // frameIndex -> tracks message
const trails = new Map(); // track id -> [[x, y], ...]
let socket = null;

function colour(id) {
  const h = (id * 137.508) % 360;
  return `hsl(${h}, 85%, 55%)`;
}
function rgbOf(id) {
  // the same hue as colour(), as RGB bytes for mask pixels
  const h = ((id * 137.508) % 360) / 60,
    s = 0.85,
    l = 0.55,
    c = (1 - Math.abs(2 * l - 1)) * s,
    x = c * (1 - Math.abs((h % 2) - 1)),
    m = l - c / 2;
  const [r, g, b] =
    h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** COCO compressed RLE string -> run lengths (pycocotools rleFrString). */
function runLengths(s) {
  const counts = [];
  let p = 0;
  while (p < s.length) {
    let x = 0,
      k = 0,
      more = true,
      c = 0;
    while (more) {
      c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
    }
    if (c & 0x10) x |= -1 << (5 * k);
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

function draw(frameIndex) {
  const image = pictures.get(frameIndex),
    message = snapshots.get(frameIndex);
  // Another node's camera: its tracks come through the fleet's stream, its pictures do not.
  if (!message || (!image && !viewer.remoteNode)) return;
  const w = message.width,
    h = message.height;
  for (const c of [picture, overlay])
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
  const background = picture.getContext('2d');
  if (image) background.drawImage(image, 0, 0, w, h);
  else {
    background.fillStyle = '#333';
    background.fillRect(0, 0, w, h);
    background.fillStyle = '#aaa';
    background.font = '16px sans-serif';
    background.fillText(`tracks only: pictures stay on node ${viewer.remoteNode}`, 12, 24);
  }
  const ctx = overlay.getContext('2d');
  ctx.clearRect(0, 0, w, h);
  const masks = ctx.createImageData(w, h);
  for (const t of message.tracks) {
    if (!t.mask) continue;
    const [r, g, b] = rgbOf(t.id),
      runs = runLengths(t.mask.counts);
    let pos = 0;
    for (let i = 0; i < runs.length; i++) {
      if (i % 2 === 1)
        for (let q = pos; q < pos + runs[i]; q++) {
          // column-major: q = x * h + y
          const o = 4 * ((q % h) * w + Math.floor(q / h));
          masks.data[o] = r;
          masks.data[o + 1] = g;
          masks.data[o + 2] = b;
          masks.data[o + 3] = 110;
        }
      pos += runs[i];
    }
  }
  ctx.putImageData(masks, 0, 0);
  // Zones (dashed, with their occupancy) and lines (with their name).
  ctx.setLineDash([8, 6]);
  ctx.lineWidth = 2;
  ctx.font = '14px system-ui, sans-serif';
  for (const z of geometry.zones) {
    ctx.beginPath();
    z.polygon.forEach(([x, y], i) => {
      if (i) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    });
    ctx.closePath();
    ctx.strokeStyle = '#ffd54a';
    ctx.stroke();
    ctx.fillStyle = '#ffd54a';
    ctx.fillText(`${z.name}: ${message.zones?.[z.name] || 0}`, z.polygon[0][0] + 4, z.polygon[0][1] + 16);
  }
  for (const l of geometry.lines) {
    ctx.beginPath();
    ctx.moveTo(l.from[0], l.from[1]);
    ctx.lineTo(l.to[0], l.to[1]);
    ctx.strokeStyle = '#4ad0ff';
    ctx.stroke();
    ctx.fillStyle = '#4ad0ff';
    ctx.fillText(l.name, l.from[0] + 4, l.from[1] + 16);
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 2;
  ctx.font = '14px system-ui, sans-serif';
  for (const t of message.tracks) {
    const [x1, y1, bw, bh] = t.bbox; // COCO [x, y, width, height]
    ctx.strokeStyle = colour(t.id);
    ctx.strokeRect(x1, y1, bw, bh);
    const label = `#${t.id} ${t.className}`;
    ctx.fillStyle = colour(t.id);
    ctx.fillRect(x1, y1 - 17, ctx.measureText(label).width + 6, 17);
    ctx.fillStyle = '#000';
    ctx.fillText(label, x1 + 3, y1 - 4);
    const trail = trails.get(t.id) || [];
    ctx.beginPath();
    trail.forEach(([x, y], i) => {
      if (i) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    });
    ctx.strokeStyle = colour(t.id);
    ctx.stroke();
  }
  $('frame').textContent = String(frameIndex);
  viewer.drawn++;
  viewer.last = {
    frameIndex,
    width: w,
    height: h,
    tracks: message.tracks.map((t) => ({
      id: t.id,
      bbox: t.bbox,
      mask: t.mask,
      trail: (trails.get(t.id) || []).slice(),
    })),
  };
  for (const k of pictures.keys())
    if (k <= frameIndex) {
      if (k < frameIndex) pictures.get(k).close();
      pictures.delete(k);
    }
  for (const k of snapshots.keys()) if (k <= frameIndex) snapshots.delete(k);
}

function withToken(url) {
  return token ? `${url + (url.includes('?') ? '&' : '?')}token=${encodeURIComponent(token)}` : url;
}

/** Adds a clip to the list (newest first, once); a click plays it. */
function addClip(url, label) {
  if ([...$('clips').children].some((b) => /** @type {HTMLElement} */ (b).dataset.url === url)) return;
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.url = url;
  b.onclick = () => playClip(url);
  $('clips').prepend(b);
}

/** Plays a clip in the player. */
function playClip(url) {
  const v = /** @type {HTMLVideoElement} */ ($('player'));
  v.style.display = 'block';
  v.src = withToken(url);
  v.play().catch((e) => viewer.errors.push(String(e)));
  viewer.playing = url;
}

/** Events of a clip that is now written: a click on one plays it. */
function linkEvents(clipId, url) {
  for (const div of $('events').querySelectorAll('div[data-clip]')) {
    if (!(div instanceof HTMLElement)) continue;
    if (div.dataset.clip !== clipId) continue;
    div.classList.add('has-clip');
    div.onclick = () => playClip(url);
  }
}

async function loadClips(camera) {
  try {
    const r = await fetch(withToken(`/media/${encodeURIComponent(camera)}/`));
    if (!r.ok) return;
    const { clips } = await r.json();
    for (const c of clips) addClip(c.url, c.file);
  } catch (err) {
    viewer.errors.push(String(err));
  }
}

function logEvent(text, image, clipId) {
  const div = document.createElement('div');
  div.textContent = text;
  if (clipId) div.dataset.clip = clipId; // clickable once its clip_ready names the file
  if (image) {
    const img = document.createElement('img');
    img.src = withToken(image);
    div.prepend(img);
  }
  $('events').prepend(div);
  while ($('events').childElementCount > 50) $('events').lastChild.remove();
}

function onMessage(data) {
  if (typeof data !== 'string') {
    // picture: 4-byte header length, JSON header, JPEG
    const view = new DataView(data),
      n = view.getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, n)));
    createImageBitmap(new Blob([new Uint8Array(data, 4 + n)], { type: 'image/jpeg' })).then((bitmap) => {
      pictures.set(header.frameIndex, bitmap);
      draw(header.frameIndex);
    });
    return;
  }
  const m = JSON.parse(data);
  if (m.type === 'tracks') {
    for (const t of m.tracks) {
      const trail = trails.get(t.id) || [];
      trail.push([t.bbox[0] + t.bbox[2] / 2, t.bbox[1] + t.bbox[3]]);
      if (trail.length > 30) trail.shift();
      trails.set(t.id, trail);
    }
    snapshots.set(m.frameIndex, m);
    for (const k of snapshots.keys()) if (k < m.frameIndex - 60) snapshots.delete(k);
    draw(m.frameIndex);
  } else if (m.type === 'track_started' || m.type === 'track_ended') {
    logEvent(
      'frame ' +
        m.frameIndex +
        ': #' +
        m.track.trackId +
        ' ' +
        m.track.className +
        (m.type === 'track_started' ? ' started' : ` ended (${m.track.endReason})`),
      null,
      m.clipId,
    );
    if (m.type === 'track_ended') trails.delete(m.track.trackId);
  } else if (m.type === 'zone_entered' || m.type === 'zone_exited') {
    logEvent(
      'frame ' +
        m.frameIndex +
        ': #' +
        m.trackId +
        (m.type === 'zone_entered' ? ' entered ' : ' left ') +
        m.zone +
        (m.dwellMs !== undefined ? ` after ${(m.dwellMs / 1000).toFixed(1)} s` : ''),
      null,
      m.clipId,
    );
  } else if (m.type === 'line_crossed') {
    logEvent(`frame ${m.frameIndex}: #${m.trackId} crossed ${m.line} ${m.direction}`, null, m.clipId);
  } else if (m.type === 'camera_status') {
    logEvent(`${m.camera} ${m.state}: ${m.reason}`);
  } else if (m.type === 'track_snapshot') {
    logEvent(`#${m.trackId} ${m.className} snapshot`, m.snapshot.url);
  } else if (m.type === 'clip_ready') {
    addClip(m.clip.url, `${m.start.slice(11, 19)} – ${m.end.slice(11, 19)} (${m.eventIds.length} events)`);
    linkEvents(m.clipId, m.clip.url);
  }
}

function connect(camera) {
  if (socket) socket.close();
  viewer.camera = camera;
  pictures.clear();
  snapshots.clear();
  trails.clear();
  $('clips').replaceChildren();
  loadClips(camera);
  const url =
    (location.protocol === 'https:' ? 'wss://' : 'ws://') +
    location.host +
    '/cameras/' +
    encodeURIComponent(camera) +
    '?preview=' +
    PREVIEW_FPS +
    (token ? `&token=${encodeURIComponent(token)}` : '');
  socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  socket.onmessage = (e) => onMessage(e.data);
  socket.onclose = () => {
    if (viewer.camera === camera) setTimeout(() => connect(camera), 1000);
  };
}

async function poll() {
  try {
    const r = await fetch('/viewer/status', token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const { cameras } = await r.json();
    const select = /** @type {HTMLSelectElement} */ ($('camera'));
    const ids = cameras.map((c) => c.id);
    if (select.options.length !== ids.length || ids.some((id, i) => select.options[i].value !== id)) {
      select.replaceChildren(...ids.map((id) => new Option(id, id)));
      const wanted = new URLSearchParams(location.search).get('camera');
      const pick = ids.includes(viewer.camera) ? viewer.camera : ids.includes(wanted) ? wanted : ids[0];
      if (pick) {
        select.value = pick;
        if (pick !== viewer.camera) connect(pick);
      }
    }
    const c = cameras.find((x) => x.id === viewer.camera);
    if (c) geometry = { zones: c.zones || [], lines: c.lines || [] };
    if (c) {
      viewer.remoteNode = c.node ?? null;
      $('state').textContent =
        c.state + (c.state === 'streaming' ? '' : `: ${c.reason}`) + (c.node ? ` (on node ${c.node})` : '');
      $('state').className = `state ${c.state}`;
      $('fps').textContent = `${c.fps.toFixed(1)} fps`;
      $('dropped').textContent = `${c.droppedFrames} dropped`;
      $('latency').textContent = `${c.latencyMs} ms latency`;
    }
  } catch (err) {
    viewer.errors.push(String(err));
  }
}
$('camera').onchange = (e) => connect(/** @type {HTMLSelectElement} */ (e.target).value);
poll();
setInterval(poll, 1000);
