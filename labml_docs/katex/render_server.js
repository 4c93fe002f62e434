#!/usr/bin/env node
// labml-docs math server: renders batches of formulas with KaTeX.
//
// Usage: node render_server.js KATEX_PACKAGE_DIR
//
// Protocol (line-delimited JSON over stdin/stdout, UTF-8, one object per line):
//   on start    -> {"ready": true, "version": "<katex.version>"}
//   request  <- {"id": N, "options": {"macros": {...}, "output": "htmlAndMathml"},
//                "formulas": [{"tex": "...", "display": false}, ...]}
//   response -> {"id": N, "results": [{"html": "..."} | {"error": "..."}, ...]}
//   a request that cannot be read -> {"id": N|null, "fatal": "<message>"}
// The process exits when stdin closes.
"use strict";

const path = require("path");

const katexDir = process.argv[2];
if (!katexDir) {
  process.stderr.write("usage: node render_server.js KATEX_PACKAGE_DIR\n");
  process.exit(2);
}

let katex;
try {
  katex = require(path.resolve(katexDir));
} catch (e) {
  process.stderr.write("cannot load katex from " + katexDir + ": " + e.message + "\n");
  process.exit(3);
}

// Only \htmlClass is trusted (used to colour equation terms); \href, \url,
// \htmlId, \htmlStyle, \htmlData and \includegraphics are refused.
const TRUSTED = "\\htmlClass";

function katexOptions(display, options, refused) {
  return {
    displayMode: display,
    output: options.output || "htmlAndMathml",
    // KaTeX mutates the macros object on \gdef: a fresh copy per formula.
    macros: Object.assign({}, options.macros || {}),
    throwOnError: true,
    strict: "ignore",
    trust: (context) => {
      if (context.command === TRUSTED) return true;
      refused.push(context.command);
      return false;
    },
  };
}

function renderOne(item, options) {
  const refused = [];
  try {
    const html = katex.renderToString(String(item.tex), katexOptions(!!item.display, options, refused));
    if (refused.length > 0) {
      return {
        error: "KaTeX parse error: untrusted command " + refused[0] +
          " refused (only \\htmlClass is allowed)",
      };
    }
    return { html: html };
  } catch (e) {
    const message = e && e.message ? String(e.message) : String(e);
    return { error: message };
  }
}

function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return { id: null, fatal: "invalid JSON request: " + e.message };
  }
  const options = request.options || {};
  const formulas = Array.isArray(request.formulas) ? request.formulas : [];
  const results = new Array(formulas.length);
  for (let i = 0; i < formulas.length; i++) {
    results[i] = renderOne(formulas[i], options);
  }
  return { id: request.id, results: results };
}

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// Requests can be megabytes long: keep the chunks of an unfinished line and
// search each new chunk only once for the end of the line.
let chunks = [];
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  let start = 0;
  let newline;
  while ((newline = chunk.indexOf("\n", start)) >= 0) {
    chunks.push(chunk.slice(start, newline));
    const line = chunks.join("");
    chunks = [];
    start = newline + 1;
    if (line.trim() !== "") send(handle(line));
  }
  if (start < chunk.length) chunks.push(chunk.slice(start));
});
process.stdin.on("end", () => process.exit(0));

send({ ready: true, version: katex.version });
