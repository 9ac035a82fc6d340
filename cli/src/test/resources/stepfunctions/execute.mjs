// Executes a Step Functions definition with aws-local-stepfunctions, each Task running the real step
// in its own process through the task contract: `<STEP_COMMAND> retrain step NAME --state FILE --run-id ID`.
// Usage: node execute.mjs DEFINITION.json INPUT.json EXECUTION_NAME WORK_DIR
// Env:   STEP_COMMAND  JSON array, the command that runs the mnist CLI (java ... MnistCli)
// Prints {"status": "SUCCEEDED"|"FAILED", "output"|"error", "tasks": [{"state", "step", "status"}]}.
import { StateMachine } from 'aws-local-stepfunctions';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [definitionFile, inputFile, executionName, workDir] = process.argv.slice(2);
const definition = JSON.parse(readFileSync(definitionFile, 'utf8'));
const command = JSON.parse(process.env.STEP_COMMAND);
const tasks = [];

function runStep(stateName) {
  return ({ step, runId, state }) => new Promise((resolve, reject) => {
    const n = tasks.length + 1;
    const stateFile = path.join(workDir, `${n}-${step}.state.json`);
    writeFileSync(stateFile, JSON.stringify(state));
    const child = spawn(command[0], [...command.slice(1), 'retrain', 'step', step, '--state', stateFile,
      '--run-id', runId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      writeFileSync(path.join(workDir, `${n}-${step}.log`), err);
      if (code === 0) {
        tasks.push({ state: stateName, step, status: 'succeeded' });
        resolve(JSON.parse(out));
        return;
      }
      tasks.push({ state: stateName, step, status: 'failed', exitCode: code });
      let error;
      try {
        const reported = JSON.parse(out.trim().split('\n').pop());
        error = new Error(reported.errorMessage);
        error.name = reported.errorType;
      } catch {
        error = new Error(`exit ${code}: ${err.trim().split('\n').pop()}`);
        error.name = 'mnist.StepError';
      }
      reject(error);
    });
  });
}

const handlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type === 'Task') handlers[name] = runStep(name);
}
const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const execution = machine.run(JSON.parse(readFileSync(inputFile, 'utf8')), {
  overrides: { taskResourceLocalHandlers: handlers },
  context: { Execution: { Name: executionName } },
});
let result;
try {
  result = { status: 'SUCCEEDED', output: await execution.result, tasks };
} catch (e) {
  const wrapped = e.cause ?? e;
  result = { status: 'FAILED', error: wrapped?.name ?? e.name, cause: wrapped?.message ?? e.message, tasks };
}
process.stdout.write(JSON.stringify(result));
