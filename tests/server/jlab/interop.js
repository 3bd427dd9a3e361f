// Drive `kernelhub serve` with JupyterLab's own client library, @jupyterlab/services.
//
// Usage: node interop.js BASE_URL TOKEN KERNEL_NAME
// Prints one JSON object (the results) as the last line of stdout (the library logs too) and exits 0, or prints the failure on stderr
// and exits 1. Every await is bounded.
'use strict';

const { ServerConnection, KernelManager, KernelSpecManager } = require('@jupyterlab/services');
const WebSocket = require('ws');

const STEP = 30000; // ms, the bound of one step

function bounded(promise, what, ms = STEP) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Run code; collect stream text, errors and the reply. `input` answers input requests.
// `onStream` is called on each stream message.
async function run(kernel, code, input = null, ms = STEP, onStream = () => {}) {
  const future = kernel.requestExecute({ code, stop_on_error: false });
  const out = { stdout: '', stderr: '', errors: [], prompts: [], results: [] };
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === 'stream') {
      out[msg.content.name] += msg.content.text;
      onStream(msg.content.text);
    }
    else if (t === 'error') out.errors.push(msg.content.ename);
    else if (t === 'execute_result') out.results.push(msg.content.data['text/plain']);
  };
  future.onStdin = (msg) => {
    if (msg.header.msg_type !== 'input_request') return;
    out.prompts.push(msg.content.prompt);
    kernel.sendInputReply({ status: 'ok', value: input }, msg.header);
  };
  const reply = await bounded(future.done, `execute ${JSON.stringify(code)}`, ms);
  out.status = reply.content.status;
  out.ename = reply.content.ename || null;
  return out;
}

async function main() {
  const [baseUrl, token, name] = process.argv.slice(2);
  const settings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, 'ws'),
    token,
    appendToken: true,
    WebSocket,
    fetch: globalThis.fetch,
    Request: globalThis.Request,
    Headers: globalThis.Headers
  });
  const python = name === 'python3';
  const res = { kernel: name };

  // Kernelspecs and one resource from the listing.
  const specs = new KernelSpecManager({ serverSettings: settings });
  await bounded(specs.ready, 'kernelspecs');
  await bounded(specs.refreshSpecs(), 'refresh kernelspecs');
  const spec = specs.specs.kernelspecs[name];
  if (!spec) throw new Error(`no kernelspec ${name} in ${Object.keys(specs.specs.kernelspecs)}`);
  res.default = specs.specs.default;
  res.specNames = Object.keys(specs.specs.kernelspecs).sort();
  res.language = spec.language;
  const resources = spec.resources;
  const resName = Object.keys(resources).find((k) => k.startsWith('logo')) || Object.keys(resources)[0];
  if (!resName) throw new Error(`kernelspec ${name} has no resources`);
  // The listing's URLs are server-relative (/kernelspecs/...); JupyterLab fetches them so.
  const resUrl = new URL(resources[resName], baseUrl).href;
  const resp = await bounded(ServerConnection.makeRequest(resUrl, {}, settings), 'resource');
  const body = Buffer.from(await bounded(resp.arrayBuffer(), 'resource body'));
  res.resource = {
    name: resName,
    status: resp.status,
    type: resp.headers.get('content-type'),
    bytes: body.length,
    png: body.subarray(0, 8).toString('hex') === '89504e470d0a1a0a'
  };

  // Start a kernel and connect.
  const manager = new KernelManager({ serverSettings: settings });
  await bounded(manager.ready, 'kernel manager');
  const kernel = await bounded(manager.startNew({ name }), 'start kernel');
  res.kernelId = kernel.id;
  if (kernel.connectionStatus !== 'connected') {
    await bounded(
      new Promise((resolve) => {
        const seen = (_, status) => {
          if (status === 'connected') {
            kernel.connectionStatusChanged.disconnect(seen);
            resolve();
          }
        };
        kernel.connectionStatusChanged.connect(seen);
      }),
      'websocket connected'
    );
  }
  const info = await bounded(kernel.requestKernelInfo(), 'kernel_info');
  res.info = {
    status: info.content.status,
    language: info.content.language_info.name,
    implementation: info.content.implementation
  };
  // Which framing JupyterLab negotiated with the server.
  res.subprotocol = kernel._ws ? kernel._ws.protocol : null;

  // Execute with output.
  res.hello = await run(kernel, python ? "print('hello', 6*7)" : 'echo hello $((6*7))');

  // input(), answered through onStdin.
  if (python) res.input = await run(kernel, "v = input('x? ')\nprint('got', v)", 'kh-answer');

  // comm_info.
  const comms = await bounded(kernel.requestCommInfo({}), 'comm_info');
  res.commInfo = { status: comms.content.status, comms: comms.content.comms };

  // A 200 kB output.
  const big = await run(
    kernel,
    python ? "print('x' * 200_000)" : "head -c 200000 /dev/zero | tr '\\0' x"
  );
  res.big = { status: big.status, length: big.stdout.length, allX: /^x+\n?$/.test(big.stdout) };

  // Interrupt a long-running execution.
  // Interrupt once the code runs (it says so): a SIGINT that comes before is lost.
  let running;
  const started = new Promise((resolve) => {
    running = resolve;
  });
  const sleeping = run(
    kernel,
    python ? "import time\nprint('sleeping', flush=True)\ntime.sleep(30)" : 'echo sleeping; sleep 30',
    null,
    STEP,
    running
  );
  await bounded(started, 'the long-running code started');
  const t0 = Date.now();
  await bounded(kernel.interrupt(), 'interrupt');
  const interrupted = await sleeping;
  res.interrupt = {
    status: interrupted.status,
    ename: interrupted.ename,
    errors: interrupted.errors,
    ms: Date.now() - t0
  };

  // Restart: restarting then idle; the variable set before is gone.
  await run(kernel, python ? 'kh_before = 1' : 'KH_BEFORE=1');
  res.beforeRestart = await run(kernel, python ? 'print(kh_before)' : 'echo ${KH_BEFORE:-gone}');
  const statuses = [];
  const record = (_, status) => statuses.push(status);
  kernel.statusChanged.connect(record);
  const idleAgain = bounded(
    new Promise((resolve) => {
      const check = (_, status) => {
        if (status === 'idle' && statuses.includes('restarting')) {
          kernel.statusChanged.disconnect(check);
          resolve();
        }
      };
      kernel.statusChanged.connect(check);
    }),
    'idle after restart'
  );
  await bounded(kernel.restart(), 'restart');
  await idleAgain;
  kernel.statusChanged.disconnect(record);
  res.restartStatuses = statuses;
  res.afterRestart = await run(
    kernel,
    python ? "print(globals().get('kh_before', 'gone'))" : 'echo ${KH_BEFORE:-gone}'
  );

  // Shutdown.
  await bounded(kernel.shutdown(), 'shutdown');
  res.shutdownStatus = kernel.status;
  await bounded(manager.refreshRunning(), 'list kernels');
  res.runningAfter = Array.from(manager.running()).map((m) => m.id);
  manager.dispose();
  specs.dispose();
  return res;
}

main().then(
  (res) => {
    process.stdout.write(JSON.stringify(res) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`interop failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
);
