// Camera symbols and cluster labels drawn on canvases.
//
// The map has no font server (it works offline), so every symbol, and the
// number on each cluster, is an image drawn here: the shape says the kind of
// device, the mark inside says the camera type, the colour says what it watches.
"use strict";

const CAMATLAS_COLOURS = {
  public: "#d7301f",
  outdoor: "#f28e2b",
  indoor: "#4e79a7",
  unknown: "#7f7f7f",
};

const CAMATLAS_KINDS = {
  camera: "camera",
  alpr: "number-plate reader (ALPR/ANPR)",
  guard: "guard",
  gunshot_detector: "gunshot detector",
  other: "other device",
};

const CAMATLAS_TYPES = {
  fixed: "fixed (points where it looks)",
  dome: "dome",
  panning: "panning",
  doorbell: "doorbell",
  unknown: "type unknown",
};

const CAMATLAS_ICON_PX = 22; // icon side in CSS pixels
const CAMATLAS_ICON_RATIO = 2; // drawn at twice the size for sharp screens

function camatlasShape(ctx, kind, c, r) {
  ctx.beginPath();
  if (kind === "alpr") {
    ctx.rect(c - r * 0.9, c - r * 0.9, r * 1.8, r * 1.8);
  } else if (kind === "guard") {
    ctx.moveTo(c, c - r); ctx.lineTo(c + r, c); ctx.lineTo(c, c + r); ctx.lineTo(c - r, c);
    ctx.closePath();
  } else if (kind === "gunshot_detector") {
    ctx.moveTo(c, c - r); ctx.lineTo(c + r, c + r * 0.8); ctx.lineTo(c - r, c + r * 0.8);
    ctx.closePath();
  } else if (kind === "other") {
    for (let i = 0; i < 6; i++) {
      const a = Math.PI / 3 * i + Math.PI / 6;
      const x = c + r * Math.cos(a), y = c + r * Math.sin(a);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.closePath();
  } else {
    ctx.arc(c, c, r, 0, Math.PI * 2);
  }
}

function camatlasMark(ctx, type, c, r) {
  ctx.fillStyle = "#ffffff";
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = r * 0.22;
  ctx.beginPath();
  if (type === "fixed") {
    // a wedge pointing up; the map turns the symbol to the camera's direction
    ctx.moveTo(c, c - r * 0.75); ctx.lineTo(c + r * 0.45, c + r * 0.15);
    ctx.lineTo(c - r * 0.45, c + r * 0.15); ctx.closePath(); ctx.fill();
  } else if (type === "dome") {
    ctx.arc(c, c + r * 0.15, r * 0.5, Math.PI, 0); ctx.closePath(); ctx.fill();
  } else if (type === "panning") {
    ctx.arc(c, c, r * 0.45, 0.3, Math.PI * 1.7); ctx.stroke();
  } else if (type === "doorbell") {
    ctx.rect(c - r * 0.3, c - r * 0.45, r * 0.6, r * 0.9); ctx.fill();
  } else {
    ctx.arc(c, c, r * 0.18, 0, Math.PI * 2); ctx.fill();
  }
}

// Draw one camera symbol on a new canvas of `size` CSS pixels.
function camatlasCameraCanvas(kind, type, surveillance, size) {
  const px = Math.round(size * CAMATLAS_ICON_RATIO);
  const canvas = document.createElement("canvas");
  canvas.width = px; canvas.height = px;
  const ctx = canvas.getContext("2d");
  const c = px / 2, r = px / 2 - px * 0.08;
  camatlasShape(ctx, kind, c, r);
  ctx.fillStyle = CAMATLAS_COLOURS[surveillance] || CAMATLAS_COLOURS.unknown;
  ctx.fill();
  ctx.lineWidth = px * 0.07;
  ctx.strokeStyle = "#ffffff";
  ctx.stroke();
  camatlasMark(ctx, type, c, r);
  return canvas;
}

// Image for map.addImage from an id "cam/KIND/TYPE/SURVEILLANCE" or "count/LABEL".
function camatlasImage(id) {
  let canvas;
  if (id.startsWith("cam/")) {
    const [, kind, type, surveillance] = id.split("/");
    canvas = camatlasCameraCanvas(kind, type, surveillance, CAMATLAS_ICON_PX);
  } else if (id.startsWith("count/")) {
    const label = id.slice("count/".length);
    const h = 14 * CAMATLAS_ICON_RATIO;
    canvas = document.createElement("canvas");
    const ctx0 = canvas.getContext("2d");
    const font = `bold ${Math.round(h * 0.8)}px sans-serif`;
    ctx0.font = font;
    canvas.width = Math.ceil(ctx0.measureText(label).width) + 4;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.font = font;
    ctx.fillStyle = "#ffffff";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(label, canvas.width / 2, h / 2 + 1);
  } else {
    return null;
  }
  const ctx = canvas.getContext("2d");
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}
