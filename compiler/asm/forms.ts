// The LLVM-syntax parse map, derived from the instruction table: every accepted template is
// tokenized once and indexed by its token "shape" (registers → r/w, numbers → #, symbols → @,
// keywords and punctuation as themselves). Takes OP_TABLE; produces matchInsn(tokens).
import { OP_TABLE, type OpEntry } from "../isa/table.js";
import { lex, type Token } from "./lexer.js";

export interface Form {
  entry: OpEntry;
  tokens: Token[]; // the template's tokens (placeholders have kind "ph")
}

const ALTS: Record<string, string[]> = {
  "%rd": ["r"],
  "%rs": ["r"],
  "%wd": ["w"],
  "%ws": ["w"],
  "%imm": ["#"],
  "%asd": ["#"],
  "%ass": ["#"],
  "%srcn": ["#"],
  "%off": ["#"],
  "%pimm": ["#"],
  "%addend": ["#"],
  "%tgt": ["#", "@"],
  "%ltgt": ["#", "@"],
  "%imm64": ["#", "@"],
  "%sym": ["@"],
};

export const KEYWORDS = new Set<string>();
const FORMS = new Map<string, Form>();

function parseForms(e: OpEntry): string[] {
  if (e.parse) return e.parse;
  const out: string[] = [];
  for (const t of [e.asm, e.asm32]) if (t && !out.includes(t)) out.push(t);
  return out;
}

function templateKeys(tokens: Token[]): string[] {
  let keys = [""];
  for (const t of tokens) {
    let alts: string[];
    if (t.kind === "ph") {
      alts = ALTS[t.text];
      if (!alts) throw new Error(`isa table: unknown placeholder ${t.text}`);
    } else if (t.kind === "reg") alts = [t.w ? "w" : "r"];
    else if (t.kind === "ident") alts = [t.text];
    else alts = [t.text];
    keys = keys.flatMap((k) => alts.map((a) => `${k} ${a}`));
  }
  return keys;
}

for (const e of OP_TABLE) {
  for (const tpl of parseForms(e)) {
    const { statements, errors } = lex(tpl, { placeholders: true });
    if (errors.length || statements.length !== 1) throw new Error(`isa table: bad template '${tpl}' (${e.name})`);
    const tokens = statements[0].tokens;
    for (const t of tokens) if (t.kind === "ident") KEYWORDS.add(t.text);
    for (const key of templateKeys(tokens)) {
      const prev = FORMS.get(key);
      if (prev && prev.entry !== e)
        throw new Error(`isa table: '${tpl}' (${e.name}) is ambiguous with ${prev.entry.name}`);
      if (!prev) FORMS.set(key, { entry: e, tokens });
    }
  }
}

export function shapeKey(tokens: readonly Token[]): string {
  let k = "";
  for (const t of tokens) {
    if (t.kind === "reg") k += t.w ? " w" : " r";
    else if (t.kind === "num") k += " #";
    else if (t.kind === "ident") k += KEYWORDS.has(t.text) ? ` ${t.text}` : " @";
    else k += ` ${t.text}`;
  }
  return k;
}

/** FORMS as a trie over key words (matchForm walks it without building the key string). */
interface Node {
  next: Map<string, Node>;
  form?: Form;
}
const TRIE: Node = { next: new Map() };
for (const [key, form] of FORMS) {
  let node = TRIE;
  for (const word of key.slice(1).split(" ")) {
    let n = node.next.get(word);
    if (!n) node.next.set(word, (n = { next: new Map() }));
    node = n;
  }
  node.form = form;
}

export function matchForm(tokens: readonly Token[]): Form | undefined {
  let node: Node | undefined = TRIE;
  for (let k = 0; k < tokens.length && node; k++) {
    const t = tokens[k];
    if (t.kind === "str") return FORMS.get(shapeKey(tokens)); // a string may hold spaces
    node = node.next.get(
      t.kind === "reg"
        ? t.w
          ? "w"
          : "r"
        : t.kind === "num"
          ? "#"
          : t.kind === "ident"
            ? KEYWORDS.has(t.text)
              ? t.text
              : "@"
            : t.text,
    );
  }
  return node?.form;
}

/** Number of distinct parse shapes (for tests). */
export function formCount(): number {
  return FORMS.size;
}
