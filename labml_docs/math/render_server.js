#!/usr/bin/env node
// labml-docs math server: renders batches of formulas with KaTeX.
//
// Usage: node render_server.js KATEX_PACKAGE_DIR
//
// Protocol (line-delimited JSON over stdin/stdout, UTF-8, one object per line):
//   on start    -> {"ready": true, "version": "<katex.version>"}
//   request  <- {"id": N, "options": {"macros": {...}, "output": "htmlAndMathml",
//                                     "maxNodes": 200000, "maxOutput": 2000000},
//                "formulas": [{"tex": "...", "display": false}, ...]}
//   answers  -> one line per formula, in order:
//                 {"id": N, "html": "..."}            rendered
//                 {"id": N, "error": "..."}           KaTeX's message
//                 {"id": N, "over": "nodes"}          parse tree larger than maxNodes
//                 {"id": N, "over": "output", "size": S}   HTML longer than maxOutput
//   a request that cannot be read -> {"id": null, "fatal": "<message>"}
// The process exits when stdin closes, once the formulas it was sent are answered.
//
// A formula's answer is written before the next formula starts, and the next one starts only
// once the answer is out of this process (an answer larger than the pipe would otherwise wait
// in Node's buffer while the next formula renders): the time between two answers is the time
// of one formula. The caller times each formula that way and ends this process when one is
// over its budget (see node_engine.py); nothing here can stop a formula stuck in KaTeX.
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

// The nodes of a parse tree, counted up to `limit` + 1 at most. A node built in two places
// counts twice, as it is built twice; "loc" points back into the lexer, not into the tree.
function treeSize(tree, limit) {
  let count = 0;
  const stack = [tree];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push(value[i]);
    } else if (value !== null && typeof value === "object") {
      if (++count > limit) return count;
      for (const key in value) {
        const child = value[key];
        if (key !== "loc" && child !== null && typeof child === "object") stack.push(child);
      }
    }
  }
  return count;
}

// A few bytes of macros can expand into millions of symbols (`\def\a{xxxx}\def\b{\a\a\a}...`):
// KaTeX parses them in a second, then takes minutes and gigabytes to build their HTML. The
// parse tree says how large the HTML will be (a node makes ten characters or more: see
// CHARS_PER_NODE in options.py), so a formula is parsed first and refused when its tree is over
// budget, before any HTML is built. Parsing costs a fifth of rendering.
function overBudget(tex, display, options) {
  if (!options.maxNodes) return null;
  const tree = katex.__parse(tex, katexOptions(display, options, []));
  return treeSize(tree, options.maxNodes) > options.maxNodes ? { over: "nodes" } : null;
}

function renderOne(item, options) {
  const refused = [];
  const tex = String(item.tex);
  const display = !!item.display;
  try {
    const over = overBudget(tex, display, options);
    if (over !== null) return over;
    const html = katex.renderToString(tex, katexOptions(display, options, refused));
    if (refused.length > 0) {
      return {
        error: "KaTeX parse error: untrusted command " + refused[0] +
          " refused (only \\htmlClass is allowed)",
      };
    }
    if (options.maxOutput && html.length > options.maxOutput) {
      return { over: "output", size: html.length };
    }
    return { html: html };
  } catch (e) {
    const message = e && e.message ? String(e.message) : String(e);
    return { error: message };
  }
}

// The formulas to render, in order, as {id, formula, options}; or {id, fatal} for a request
// that cannot be read. `next` is the first not yet answered.
let work = [];
let next = 0;
let busy = false;
let ended = false;  // stdin is closed: exit once the work is done

function enqueue(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    work.push({ id: null, fatal: "invalid JSON request: " + e.message });
    return;
  }
  const options = request.options || {};
  const formulas = Array.isArray(request.formulas) ? request.formulas : [];
  for (let i = 0; i < formulas.length; i++) {
    work.push({ id: request.id, formula: formulas[i], options: options });
  }
}

// Answer the next formula, then (once the answer is out) the one after.
function pump() {
  if (next >= work.length) {
    work = [];
    next = 0;
    busy = false;
    if (ended) process.exit(0);
    return;
  }
  busy = true;
  const item = work[next];
  work[next++] = undefined;
  const answer = item.fatal !== undefined
    ? { id: item.id, fatal: item.fatal }
    : Object.assign({ id: item.id }, renderOne(item.formula, item.options));
  process.stdout.write(JSON.stringify(answer) + "\n", pump);
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
    if (line.trim() !== "") enqueue(line);
  }
  if (start < chunk.length) chunks.push(chunk.slice(start));
  if (!busy) pump();
});
process.stdin.on("end", () => {
  ended = true;
  if (!busy) process.exit(0);
});

process.stdout.write(JSON.stringify({ ready: true, version: katex.version }) + "\n");
