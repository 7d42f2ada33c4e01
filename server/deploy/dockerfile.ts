import { posix } from 'node:path';

/**
 * A Dockerfile parsed into stages and instructions, enough for the image rehearsal to follow the file
 * rather than a copy of it. Covers continuation lines, comments, global ARGs in FROM, exec (JSON) and
 * shell forms, COPY flags and ENV pairs.
 */

export interface Instruction {
  /** Upper-case keyword: RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line the instruction starts on, for error messages. */
  line: number;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (!(name in vars)) throw new Error(`Dockerfile: ${whole} is not a declared ARG`);
    return vars[name]!;
  });
}

/** Splits a Dockerfile into instructions (comments dropped, `\`-continued lines joined). */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    // Comment lines may sit inside a continued instruction too; Docker drops them.
    if (trimmed.startsWith('#')) {
      if (/^#\s*escape\s*=/.test(trimmed) && out.length === 0 && pending === null) throw new Error('Dockerfile: the escape directive is not supported');
      continue;
    }
    if (pending === null && trimmed === '') continue;
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending === null ? { text: piece, line: i + 1 } : { text: `${pending.text} ${piece}`, line: pending.line };
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim())!;
      out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
      pending = null;
    }
  }
  if (pending !== null) throw new Error(`Dockerfile: line ${pending.line} ends with a continuation and no next line`);
  return out;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (match === null) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: substitute(match[1]!, globalArgs), name: match[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`Dockerfile line ${ins.line}: only ARG may come before the first FROM`);
      const [name, value = ''] = ins.args.split('=', 2) as [string, string?];
      globalArgs[name.trim()] = value.trim().replace(/^"(.*)"$/, '$1');
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  if (stages.length === 0) throw new Error('Dockerfile: no FROM');
  return { globalArgs, stages };
}

/** Exec form (`["node", "x.js"]`) as an argv, or null for shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form list: ${args}`);
  return parsed;
}

export interface CopyArgs {
  from: string | null;
  sources: string[];
  dest: string;
}

/** COPY's flags, sources and destination; flags other than --from only affect ownership and layering. */
export function copyArgs(args: string): CopyArgs {
  const words = args.split(/\s+/).filter(Boolean);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(flag);
    if (match === null || !['from', 'chown', 'chmod', 'link'].includes(match[1]!)) throw new Error(`COPY: unsupported flag ${flag}`);
    if (match[1] === 'from') from = match[2] ?? null;
  }
  const list = execForm(words.join(' ')) ?? words;
  if (list.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: list.slice(0, -1), dest: list.at(-1)! };
}

/** ENV KEY=VALUE pairs (values may be double-quoted), or the legacy `ENV KEY value` form. */
export function envPairs(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(args);
    if (match === null) throw new Error(`ENV: cannot read ${args}`);
    return { [match[1]!]: match[2]! };
  }
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/y;
  let match: RegExpExecArray | null;
  while (re.lastIndex < args.length && (match = re.exec(args)) !== null) {
    const value = match[2]!;
    out[match[1]!] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
  }
  if (re.lastIndex !== args.length) throw new Error(`ENV: cannot read ${args}`);
  return out;
}

/** What a stage sets for the container it describes (the runtime config, for the final stage). */
export interface StageConfig {
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  expose: number[];
  /** Exec-form CMD; null when absent. Shell form is refused: the shell, not node, would get the signals. */
  cmd: string[] | null;
}

export function stageConfig(stage: Stage): StageConfig {
  const config: StageConfig = { workdir: '/', env: {}, user: null, expose: [], cmd: null };
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') config.workdir = posix.resolve(config.workdir, ins.args);
    else if (ins.keyword === 'ENV') Object.assign(config.env, envPairs(ins.args));
    else if (ins.keyword === 'USER') config.user = ins.args;
    else if (ins.keyword === 'EXPOSE') config.expose.push(...ins.args.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ''))));
    else if (ins.keyword === 'CMD') {
      config.cmd = execForm(ins.args);
      if (config.cmd === null) throw new Error(`Dockerfile line ${ins.line}: use the exec form for CMD, so signals reach the server`);
    }
  }
  return config;
}
