import { posix } from 'node:path';
import { Arg, type Instruction as AstInstruction, Copy, DockerfileParser, Env, From } from 'dockerfile-ast';

/**
 * A Dockerfile parsed into stages and instructions, enough for the image rehearsal to follow the file
 * rather than a copy of it. dockerfile-ast does the parsing (continuations, the escape directive,
 * flags, quoting and escapes in ENV and ARG, variables in FROM); two of its editor-minded habits are
 * evened out here: comment lines inside a continued instruction stay in its text there (Docker drops
 * them), and its JSON strings lose inner spaces, so exec forms are read with JSON.parse.
 */

export interface Instruction {
  /** Upper-case keyword: RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword: continuation lines trimmed and joined by a space, comment lines dropped. */
  args: string;
  /** 1-based line the instruction starts on, for error messages. */
  line: number;
  /** The parsed instruction, for its flags and properties. */
  node: AstInstruction;
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

interface Position {
  line: number;
  character: number;
}

function rangeText(lines: readonly string[], start: Position, end: Position): string {
  if (start.line === end.line) return lines[start.line]!.slice(start.character, end.character);
  return [
    lines[start.line]!.slice(start.character),
    ...lines.slice(start.line + 1, end.line),
    lines[end.line]!.slice(0, end.character),
  ].join('\n');
}

/** The instruction's text after its keyword, flags included, one line per continued line joined. */
function argsText(node: AstInstruction, lines: readonly string[], escapeChar: string): string {
  return rangeText(lines, node.getInstructionRange().end, node.getRange().end)
    .split('\n')
    .map((piece) => piece.trim())
    .map((piece) => (piece.endsWith(escapeChar) ? piece.slice(0, -1).trimEnd() : piece))
    .filter((piece, i) => piece !== '' && (i === 0 || !piece.startsWith('#')))
    .join(' ');
}

function parse(text: string): { ast: ReturnType<typeof DockerfileParser.parse>; list: Instruction[] } {
  const ast = DockerfileParser.parse(text);
  const escapeChar = ast.getEscapeCharacter();
  const lines = text.split(/\r?\n/);
  // The parser quietly ends an instruction at the end of the file; Docker has nothing to join it with.
  const lastLine = lines.findLastIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (lastLine >= 0 && lines[lastLine]!.trimEnd().endsWith(escapeChar)) {
    throw new Error(`Dockerfile: line ${lastLine + 1} ends with a continuation and no next line`);
  }
  const list = ast.getInstructions().map((node) => ({
    keyword: node.getKeyword(),
    args: argsText(node, lines, escapeChar),
    line: node.getRange().start.line + 1,
    node,
  }));
  return { ast, list };
}

/** Splits a Dockerfile into instructions (comments dropped, continued lines joined). */
export function instructions(text: string): Instruction[] {
  return parse(text).list;
}

/** The FROM image with global ARGs substituted; the rehearsal has no --build-arg, so each needs a default. */
function fromImage(ins: Instruction, node: From, globalArgs: Record<string, string>): string {
  if (node.getImage() === null) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
  for (const variable of node.getVariables()) {
    const name = variable.getName();
    if (!Object.hasOwn(globalArgs, name))
      throw new Error(`Dockerfile line ${ins.line}: \${${name}} is not a declared ARG`);
    if (globalArgs[name] === '') throw new Error(`Dockerfile line ${ins.line}: ARG ${name} needs a default`);
  }
  return node.getExpandedArguments()[0]!.getValue();
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parse(text).list) {
    if (ins.node instanceof From) {
      stages.push({ image: fromImage(ins, ins.node, globalArgs), name: ins.node.getBuildStage(), instructions: [] });
    } else if (stages.length === 0) {
      if (!(ins.node instanceof Arg))
        throw new Error(`Dockerfile line ${ins.line}: only ARG may come before the first FROM`);
      const property = ins.node.getProperty();
      if (property === null) throw new Error(`Dockerfile line ${ins.line}: cannot read ARG ${ins.args}`);
      globalArgs[property.getName()] = property.getValue() ?? '';
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
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`not an exec-form list: ${args}`);
  return parsed;
}

export interface CopyArgs {
  from: string | null;
  sources: string[];
  dest: string;
}

/** Flags the rehearsal understands: --from picks a stage; the others only affect ownership and layering. */
const COPY_FLAGS = ['from', 'chown', 'chmod', 'link'];

/** COPY's --from, sources and destination. */
export function copyArgs(ins: Instruction): CopyArgs {
  if (!(ins.node instanceof Copy)) throw new Error(`Dockerfile line ${ins.line}: not a COPY`);
  let from: string | null = null;
  const flags = ins.node.getFlags();
  for (const flag of flags) {
    if (!COPY_FLAGS.includes(flag.getName())) throw new Error(`COPY: unsupported flag --${flag.getName()}`);
    if (flag.getName() === 'from') from = flag.getValue();
  }
  const afterFlags = ins.args.replace(new RegExp(`^(?:\\S+\\s+){${flags.length}}`), '');
  const list = execForm(afterFlags) ?? ins.node.getArguments().map((a) => a.getValue());
  if (list.length < 2) throw new Error(`COPY needs a source and a destination: ${ins.args}`);
  return { from, sources: list.slice(0, -1), dest: list.at(-1)! };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ENV's variables, as Docker reads them (KEY=VALUE pairs with quotes and escapes, or `ENV KEY value`). */
export function envPairs(ins: Instruction): Record<string, string> {
  if (!(ins.node instanceof Env)) throw new Error(`Dockerfile line ${ins.line}: not an ENV`);
  const properties = ins.node.getProperties();
  if (properties.length === 0) throw new Error(`ENV: cannot read ${ins.args}`);
  const out: Record<string, string> = {};
  for (const property of properties) {
    const value = property.getValue();
    if (!ENV_NAME.test(property.getName()) || value === null) throw new Error(`ENV: cannot read ${ins.args}`);
    out[property.getName()] = value;
  }
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
    else if (ins.keyword === 'ENV') Object.assign(config.env, envPairs(ins));
    else if (ins.keyword === 'USER') config.user = ins.args;
    else if (ins.keyword === 'EXPOSE')
      config.expose.push(...ins.args.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ''))));
    else if (ins.keyword === 'CMD') {
      config.cmd = execForm(ins.args);
      if (config.cmd === null)
        throw new Error(`Dockerfile line ${ins.line}: use the exec form for CMD, so signals reach the server`);
    }
  }
  return config;
}

/**
 * Debian packages a RUN step installs with `apt-get install` (flags dropped), or null when the step
 * does not. The image rehearsal cannot run apt-get into a folder; it checks the host has them instead.
 */
export function aptInstalls(args: string): string[] | null {
  const m = /\bapt-get\s+install\s+([^&;|]*)/.exec(args);
  if (m === null) return null;
  return m[1]!
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '' && !word.startsWith('-'));
}
