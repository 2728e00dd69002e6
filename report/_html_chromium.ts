/**
 * Test helpers that open a report page in real headless Chromium (Debian's `chromium`): find the
 * binary, run it with a timeout, and read what it reports (console lines, DOM, PNG size).
 */
import { join } from "node:path";

/** Path of a Chromium binary: $CHROMIUM, else chromium/chromium-browser/google-chrome on PATH. */
export function findChromium(): string | undefined {
  const explicit = Deno.env.get("CHROMIUM");
  if (explicit) return explicit;
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    for (const dir of dirs) {
      try {
        const path = join(dir, name);
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // Not in this directory.
      }
    }
  }
  return undefined;
}

/** What one Chromium run gave back. */
export interface ChromiumResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Flags for a quiet, offline, root-safe headless run with console messages logged to stderr. */
export function headlessFlags(profileDir: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--allow-file-access-from-files",
    `--user-data-dir=${profileDir}`,
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--hide-scrollbars",
    // Any network lookup fails, so an accidental remote resource shows up as a load error.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=10000",
    "--enable-logging=stderr",
    "--v=0",
  ];
}

/** Runs `binary` with `args` and HOME in `home`, killing it if it outlives `timeoutMs`. */
export async function runChromium(
  binary: string,
  args: string[],
  home: string,
  timeoutMs: number,
): Promise<ChromiumResult> {
  const child = new Deno.Command(binary, {
    args,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_CACHE_HOME: join(home, ".cache"),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const killTimer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  try {
    // Helper processes can hold the pipes open a moment after the browser dies: give up on them.
    const grace = new Promise<never>((_, reject) => {
      graceTimer = setTimeout(
        () => reject(new Error(`chromium did not exit within ${timeoutMs + 5000} ms`)),
        timeoutMs + 5000,
      );
    });
    const out = await Promise.race([child.output(), grace]);
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr), timedOut };
  } finally {
    clearTimeout(killTimer);
    clearTimeout(graceTimer);
  }
}

/** The page's console messages in Chromium's stderr log (`...:CONSOLE...] "text", source: ...`). */
export function consoleLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /:CONSOLE[:(\]]/.test(line) || /Uncaught/.test(line));
}

/** The attributes of the first `<tag ...>` in serialized HTML, as a name → value map. */
export function tagAttributes(html: string, tag: string): Record<string, string> {
  const open = new RegExp(`<${tag}(\\s[^>]*)?>`, "i").exec(html);
  const attrs: Record<string, string> = {};
  for (const m of (open?.[1] ?? "").matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) attrs[m[1]] = m[2] ?? "";
  return attrs;
}

/** Width and height from a PNG's IHDR chunk; throws unless `bytes` starts like a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) {
    throw new Error("not a PNG: bad signature");
  }
  if (new TextDecoder().decode(bytes.subarray(12, 16)) !== "IHDR") {
    throw new Error("not a PNG: first chunk is not IHDR");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
