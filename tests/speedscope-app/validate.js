// Validates speedscope files against the schema shipped in the speedscope package.
// Usage: node validate.js FILE...   Prints one JSON line per file: {"file": ..., "valid": bool, "errors": [...]}.
//        node validate.js --lines   Reads one JSON document per stdin line, answers one such line each.
// Exit code 0 when every file is valid, 1 when one is not, 2 when the schema or ajv is missing.
'use strict';
const fs = require('fs');
const path = require('path');
let Ajv, schema;
try {
  Ajv = require('ajv');
  schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/speedscope/dist/release/file-format-schema.json'), 'utf8'));
} catch (e) {
  console.error('cannot load ajv or speedscope\'s file-format-schema.json (run npm ci in tests/speedscope-app): ' + e.message);
  process.exit(2);
}
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
function check(text) {
  let data;
  try { data = JSON.parse(text); } catch (e) { return { valid: false, errors: ['invalid JSON: ' + e.message] }; }
  const valid = validate(data);
  return { valid, errors: valid ? [] : validate.errors.slice(0, 20).map(e => `${e.instancePath || '/'} ${e.message}`) };
}
if (process.argv[2] === '--lines') {
  const rl = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', line => process.stdout.write(JSON.stringify(check(line)) + '\n'));
  return;
}
let ok = true;
for (const file of process.argv.slice(2)) {
  const r = check(fs.readFileSync(file, 'utf8'));
  ok = ok && r.valid;
  console.log(JSON.stringify({ file, ...r }));
}
process.exit(ok ? 0 : 1);
