// Builds the liveroom binary and runs it as a real process on a free
// loopback port with a fresh data directory.
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createInterface } from "node:readline";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

let built = null;

/** Builds the binary once per test process (Go's build cache makes repeats cheap). */
export function buildBinary() {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "liveroom-e2e-bin-"));
    const bin = join(dir, "liveroom");
    await run("go", ["build", "-o", bin, "./cmd/liveroom"], { cwd: repoRoot });
    process.once("exit", () => {
      // best effort; the directory is in the system's temporary area
      import("node:fs").then((fs) => fs.rmSync(dir, { recursive: true, force: true })).catch(() => {});
    });
    return bin;
  })();
  return built;
}

/**
 * Starts the server with config (TOML text, may be empty). Resolves once it
 * prints its "listening on" line. The caller must call stop().
 */
export async function startServer(config = "", { startTimeoutMs = 20000 } = {}) {
  const bin = await buildBinary();
  const dir = await mkdtemp(join(tmpdir(), "liveroom-e2e-"));
  const configFile = join(dir, "liveroom.toml");
  await writeFile(configFile, config);
  const child = spawn(bin, ["--addr", "127.0.0.1:0", "--data-dir", join(dir, "data"), "--config", configFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = [];
  let apiKey = "";
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server did not print "listening on" within ${startTimeoutMs} ms:\n${output.join("\n")}`));
    }, startTimeoutMs);
    const onLine = (line) => {
      output.push(line);
      const key = /server API key \(generated into .* (?:now|at its first start)\): (\S+)/.exec(line);
      if (key) apiKey = key[1];
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output.join("\n")}`));
    });
  });

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  return { url, port: Number(new URL(url).port), apiKey, output, stop };
}

/** Calls a server API method (POST /api/<method>) and returns its answer. */
export async function apiCall(server, method, body) {
  const res = await fetch(`${server.url}/api/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": server.apiKey },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /api/${method}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Publishes data to a channel through the server API. */
export function apiPublish(server, channel, data) {
  return apiCall(server, "publish", { channel, data });
}
