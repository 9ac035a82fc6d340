// Executes the AWS-bound retraining definition with aws-local-stepfunctions, every Task state answered by a
// stand-in for the AWS resource its Resource names:
//   the step-runner function  the real StepRunnerHandler, in one child process under AWS's Lambda runtime
//                             interface client (`entrypoint.sh step-runner`), fed through the Lambda Runtime API
//                             that this script serves on loopback, as a warm function is fed event after event
//   createTrainingJob.sync    the real `entrypoint.sh train` (mnist sagemaker-train) on an /opt/ml tree built from
//                             the request's channels and hyperparameters, its model directory stored as
//                             <S3OutputPath>/<job>/output/model.tar.gz and checkpoints synced as SageMaker does
//   aws-sdk:*                 recorded, checked against the API's rules that matter here, and answered from a
//                             small in-memory account (an endpoint that can be told to roll an update back, a
//                             function with versions and an alias, SSM parameters, running executions)
// Locations (S3Uri, ModelDataUrl) are whatever the steps publish: directories here, as MNIST_HOME is one.
// Usage: node execute-aws.mjs DEFINITION.json INPUT.json EXECUTION_NAME WORK_DIR
// Env:   AWS_FAKE  JSON {stepRunnerArn, stepRunner: {command, env}, train: {command, env}, account: {...}}
// Prints {"status", "output"|"error"+"cause", "tasks": [...], "calls": [...], "account": {...}}.
import { StateMachine } from 'aws-local-stepfunctions';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

const [definitionFile, inputFile, executionName, workDir] = process.argv.slice(2);
const definition = JSON.parse(readFileSync(definitionFile, 'utf8'));
const fake = JSON.parse(process.env.AWS_FAKE);
const tasks = [];
const calls = [];
const account = fake.account;
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function awsError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

// ---- the step-runner function: a Lambda Runtime API on loopback, one warm runtime client behind it ----------
const pending = [];          // events waiting for invocation/next
const parked = [];           // invocation/next requests waiting for an event
const inFlight = new Map();  // request id -> {resolve, reject}
let runner = null;
const api = http.createServer((req, res) => {
  const url = req.url.replace('/2018-06-01/runtime/', '');
  if (req.method === 'GET' && url === 'invocation/next') {
    parked.push(res);
    dispatch();
    return;
  }
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const [, id, kind] = url.split('/');
    const call = inFlight.get(id);
    res.writeHead(202).end();
    if (url === 'init/error') {
      for (const c of inFlight.values()) c.reject(awsError('Lambda.Unknown', `init failed: ${body}`));
      return;
    }
    if (!call) return;
    inFlight.delete(id);
    if (kind === 'response') {
      call.resolve(JSON.parse(body));
    } else {
      const error = JSON.parse(body);
      call.reject(awsError(error.errorType, error.errorMessage));
    }
  });
});
function dispatch() {
  while (pending.length && parked.length) {
    const { id, payload } = pending.shift();
    const res = parked.shift();
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': id,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + 900_000),
      'Lambda-Runtime-Invoked-Function-Arn': fake.stepRunnerArn,
      'Lambda-Runtime-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
    });
    res.end(payload);
  }
}
await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));

function invokeStepRunner(event) {
  if (!runner) {
    runner = spawn(fake.stepRunner.command[0], fake.stepRunner.command.slice(1), {
      env: { ...process.env, ...fake.stepRunner.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${api.address().port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    runner.stdout.on('data', (d) => { log += d; });
    runner.stderr.on('data', (d) => { log += d; });
    runner.on('close', (code) => {
      writeFileSync(path.join(workDir, 'step-runner.log'), log);
      for (const c of inFlight.values()) c.reject(awsError('Lambda.Unknown', `the function exited (${code})`));
      inFlight.clear();
    });
    runner.done = new Promise((resolve) => runner.on('close', resolve));
  }
  return new Promise((resolve, reject) => {
    const id = randomUUID();
    inFlight.set(id, { resolve, reject });
    pending.push({ id, payload: JSON.stringify(event) });
    dispatch();
  });
}

// ---- createTrainingJob.sync: the container's train entry on an /opt/ml tree ----------------------------------
function trainingJob(p) {
  if (!NAME.test(p.TrainingJobName ?? '')) {
    throw awsError('SageMaker.ValidationException', `bad TrainingJobName '${p.TrainingJobName}'`);
  }
  if (account.trainingJobs[p.TrainingJobName]) {
    throw awsError('SageMaker.ResourceInUse', `Training job names must be unique: ${p.TrainingJobName}`);
  }
  if (!p.RoleArn || !p.AlgorithmSpecification?.TrainingImage) {
    throw awsError('SageMaker.ValidationException', 'RoleArn and AlgorithmSpecification.TrainingImage are required');
  }
  if (p.EnableManagedSpotTraining && (!p.CheckpointConfig?.S3Uri
      || !(p.StoppingCondition?.MaxWaitTimeInSeconds >= p.StoppingCondition?.MaxRuntimeInSeconds))) {
    throw awsError('SageMaker.ValidationException', 'managed spot training needs checkpoints and MaxWait >= MaxRuntime');
  }
  const optMl = path.join(workDir, 'jobs', p.TrainingJobName, 'opt/ml');
  mkdirSync(path.join(optMl, 'input/config'), { recursive: true });
  mkdirSync(path.join(optMl, 'model'), { recursive: true });
  mkdirSync(path.join(optMl, 'output'), { recursive: true });
  writeFileSync(path.join(optMl, 'input/config/hyperparameters.json'), JSON.stringify(p.HyperParameters ?? {}));
  for (const channel of p.InputDataConfig ?? []) {
    cpSync(channel.DataSource.S3DataSource.S3Uri, path.join(optMl, 'input/data', channel.ChannelName),
      { recursive: true });
  }
  const local = p.CheckpointConfig.LocalPath.replace('/opt/ml', optMl);
  mkdirSync(local, { recursive: true });
  if (existsSync(p.CheckpointConfig.S3Uri)) cpSync(p.CheckpointConfig.S3Uri, local, { recursive: true });
  account.trainingJobs[p.TrainingJobName] = { request: p, status: 'InProgress' };
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(fake.train.command[0], fake.train.command.slice(1), {
      env: { ...process.env, ...p.Environment, ...fake.train.env, OPT_ML: optMl, TRAINING_JOB_NAME: p.TrainingJobName },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    child.on('close', (code) => {
      writeFileSync(path.join(workDir, 'jobs', p.TrainingJobName, 'job.log'), log);
      cpSync(local, p.CheckpointConfig.S3Uri, { recursive: true });
      const seconds = Math.round((Date.now() - started) / 1000);
      const job = account.trainingJobs[p.TrainingJobName];
      if (code !== 0) {
        const failure = path.join(optMl, 'output/failure');
        job.status = 'Failed';
        reject(awsError('States.TaskFailed', JSON.stringify({ TrainingJobName: p.TrainingJobName,
          TrainingJobStatus: 'Failed', FailureReason: existsSync(failure) ? readFileSync(failure, 'utf8').slice(0, 1024)
            : `exit ${code}` })));
        return;
      }
      const archive = path.join(p.OutputDataConfig.S3OutputPath, p.TrainingJobName, 'output/model.tar.gz');
      mkdirSync(path.dirname(archive), { recursive: true });
      const tar = spawnSync('tar', ['-czf', archive, '-C', path.join(optMl, 'model'), '.']);
      if (tar.status !== 0) {
        reject(awsError('States.TaskFailed', `cannot pack the model: ${tar.stderr}`));
        return;
      }
      job.status = 'Completed';
      resolve({ TrainingJobName: p.TrainingJobName, TrainingJobStatus: 'Completed',
        TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${p.TrainingJobName}`,
        ModelArtifacts: { S3ModelArtifacts: archive }, HyperParameters: p.HyperParameters,
        EnableManagedSpotTraining: p.EnableManagedSpotTraining, TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds });
    });
  });
}

// ---- aws-sdk:* -------------------------------------------------------------------------------------------------
const sdk = {
  'sfn:listExecutions': (p) => ({
    Executions: Array.from({ length: Math.min(account.running, p.MaxResults ?? 100) },
      (_, i) => ({ ExecutionArn: `${p.StateMachineArn.replace(':stateMachine:', ':execution:')}:run-${i}`,
        Status: 'RUNNING' })),
  }),
  'sagemaker:describeEndpoint': (p) => {
    const e = account.endpoint;
    if (p.EndpointName !== e.name) throw awsError('SageMaker.ValidationException', `no endpoint ${p.EndpointName}`);
    if (e.update && ++e.update.polls >= 2) {
      // Settled: the new config, or (guardrail alarm) the old one again, in service either way.
      if (!account.failEndpointUpdate) e.config = e.update.config;
      e.status = 'InService';
      e.update = null;
    }
    return { EndpointName: e.name, EndpointStatus: e.status, EndpointConfigName: e.config };
  },
  'sagemaker:createModel': (p) => {
    if (!NAME.test(p.ModelName ?? '')) throw awsError('SageMaker.ValidationException', `bad ModelName '${p.ModelName}'`);
    if (account.models[p.ModelName]) throw awsError('SageMaker.ValidationException', `model ${p.ModelName} exists`);
    if (!existsSync(p.PrimaryContainer.ModelDataUrl)) {
      throw awsError('SageMaker.ValidationException', `no model data at ${p.PrimaryContainer.ModelDataUrl}`);
    }
    account.models[p.ModelName] = p;
    return { ModelArn: `arn:aws:sagemaker:eu-west-1:123456789012:model/${p.ModelName}` };
  },
  'sagemaker:createEndpointConfig': (p) => {
    if (account.endpointConfigs[p.EndpointConfigName]) {
      throw awsError('SageMaker.ValidationException', `endpoint config ${p.EndpointConfigName} exists`);
    }
    for (const v of p.ProductionVariants) {
      if (!account.models[v.ModelName]) throw awsError('SageMaker.ValidationException', `no model ${v.ModelName}`);
    }
    account.endpointConfigs[p.EndpointConfigName] = p;
    return { EndpointConfigArn: `arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/${p.EndpointConfigName}` };
  },
  'sagemaker:updateEndpoint': (p) => {
    const e = account.endpoint;
    if (!account.endpointConfigs[p.EndpointConfigName] && p.EndpointConfigName !== account.initialConfig) {
      throw awsError('SageMaker.ValidationException', `no endpoint config ${p.EndpointConfigName}`);
    }
    if (e.status !== 'InService') throw awsError('SageMaker.ValidationException', `endpoint is ${e.status}`);
    e.status = 'Updating';
    e.update = { config: p.EndpointConfigName, polls: 0 };
    return { EndpointArn: `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/${e.name}` };
  },
  'lambda:getFunctionConfiguration': (p) => {
    const f = account.function;
    if (p.Qualifier) {
      const v = f.versions[p.Qualifier];
      if (!v) throw awsError('Lambda.ResourceNotFoundException', `no version ${p.Qualifier}`);
      const state = v.state;
      v.state = 'Active'; // the snapshot is taken by the next look
      return { Version: p.Qualifier, State: state, Environment: { Variables: v.variables } };
    }
    const status = f.lastUpdateStatus;
    f.lastUpdateStatus = 'Successful';
    return { Version: '$LATEST', Environment: { Variables: f.variables }, LastUpdateStatus: status };
  },
  'lambda:getAlias': (p) => ({ Name: p.Name, FunctionVersion: account.function.alias }),
  'lambda:updateFunctionConfiguration': (p) => {
    account.function.variables = p.Environment.Variables;
    account.function.lastUpdateStatus = 'InProgress';
    return { LastUpdateStatus: 'InProgress' };
  },
  'lambda:publishVersion': () => {
    const f = account.function;
    const version = String(Object.keys(f.versions).length + 1);
    f.versions[version] = { variables: f.variables, state: 'Pending' };
    return { Version: version, State: 'Pending' };
  },
  'lambda:updateAlias': (p) => {
    if (!account.function.versions[p.FunctionVersion]) {
      throw awsError('Lambda.ResourceNotFoundException', `no version ${p.FunctionVersion}`);
    }
    account.function.alias = p.FunctionVersion;
    return { Name: p.Name, FunctionVersion: p.FunctionVersion };
  },
  'ssm:putParameter': (p) => {
    account.parameters[p.Name] = p.Value;
    return { Version: 1 };
  },
};

const handlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type !== 'Task') continue;
  handlers[name] = async (input) => {
    const task = { state: name, resource: state.Resource };
    tasks.push(task);
    try {
      let output;
      if (state.Resource === fake.stepRunnerArn) {
        task.step = input.step;
        output = await invokeStepRunner(input);
      } else if (state.Resource === 'arn:aws:states:::sagemaker:createTrainingJob.sync') {
        calls.push({ action: 'sagemaker:createTrainingJob', parameters: input });
        output = await trainingJob(input);
      } else if (state.Resource.startsWith('arn:aws:states:::aws-sdk:')) {
        const action = state.Resource.slice('arn:aws:states:::aws-sdk:'.length);
        calls.push({ action, parameters: input });
        if (!sdk[action]) throw awsError('States.Runtime', `no stand-in for ${action}`);
        output = sdk[action](input);
      } else {
        throw awsError('States.Runtime', `no stand-in for ${state.Resource}`);
      }
      task.status = 'succeeded';
      task.output = output;
      return output;
    } catch (e) {
      task.status = 'failed';
      task.error = e.name;
      task.cause = e.message;
      throw e;
    }
  };
}

const waits = {};
const retries = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type === 'Wait') waits[name] = 0;
  if (state.Retry) retries[name] = 0;
}
const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const execution = machine.run(JSON.parse(readFileSync(inputFile, 'utf8')), {
  overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
  context: {
    Execution: { Name: executionName, Id: `${fake.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}` },
    StateMachine: { Id: fake.stateMachineArn, Name: fake.stateMachineArn.split(':').pop() },
  },
});
let result;
try {
  result = { status: 'SUCCEEDED', output: await execution.result };
} catch (e) {
  const wrapped = e.cause ?? e;
  result = { status: 'FAILED', error: wrapped?.name ?? e.name, cause: wrapped?.message ?? e.message };
}
if (runner) {
  runner.kill('SIGTERM');
  await runner.done;
}
api.close();
// Parked long polls would keep the loop alive: exit once the result is out.
process.stdout.write(JSON.stringify({ ...result, tasks, calls, account }), () => process.exit(0));
