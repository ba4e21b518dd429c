import { NormalizedSchema } from '@smithy/core/schema';
import type { StaticErrorSchema, StaticOperationSchema, StaticStructureSchema } from '@smithy/types';

// The SDK's own shape schemas (exported by each client as `<Operation>$`), walked the other way
// round from the client: a request's wire form becomes the command input, and the fake's answer
// becomes the wire form the client's deserializer reads. The member names, EC2's query and XML
// names and the required members all come from the schema, so they are the SDK's, not ours.

/** A request the world refuses before any service sees it; `code` is the service's error code. */
export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function inputSchema(operation: StaticOperationSchema): NormalizedSchema {
  return NormalizedSchema.of(operation[4]);
}

export function outputSchema(operation: StaticOperationSchema): NormalizedSchema {
  return NormalizedSchema.of(operation[5]);
}

/** The path of the first required member that is missing, as `Filter.1.Name`-like dotted names. */
export function missingRequired(ns: NormalizedSchema, value: unknown, path = ''): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (ns.isListSchema() && Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const missing = missingRequired(ns.getValueSchema(), item, `${path}[${i}]`);
      if (missing) return missing;
    }
    return undefined;
  }
  if (!ns.isStructSchema() || typeof value !== 'object') return undefined;
  // A structure lists its required members first and says how many there are.
  const required = (ns.getSchema() as StaticStructureSchema)[6] ?? 0;
  const record = value as Record<string, unknown>;
  let index = 0;
  for (const [name, member] of ns.structIterator()) {
    const at = path ? `${path}.${name}` : name;
    if (index++ < required && (record[name] === undefined || record[name] === null)) return at;
    const missing = missingRequired(member, record[name], at);
    if (missing) return missing;
  }
  return undefined;
}

// awsJson1_0 / awsJson1_1: member names as they are, timestamps as epoch seconds, blobs as base64.

interface JsonLeaves {
  timestamp(value: unknown): unknown;
  blob(value: unknown): unknown;
}

const FROM_WIRE: JsonLeaves = { timestamp: (v) => new Date(Number(v) * 1000), blob: (v) => Buffer.from(String(v), 'base64') };
const TO_WIRE: JsonLeaves = { timestamp: (v) => (v as Date).getTime() / 1000, blob: (v) => Buffer.from(v as Uint8Array).toString('base64') };

export function readJson(ns: NormalizedSchema, value: unknown): unknown {
  return walkJson(ns, value, FROM_WIRE);
}

export function writeJson(ns: NormalizedSchema, value: unknown): unknown {
  return walkJson(ns, value, TO_WIRE);
}

/** The value with only the schema's members, each timestamp and blob converted. */
function walkJson(ns: NormalizedSchema, value: unknown, leaves: JsonLeaves): unknown {
  if (value === undefined || value === null || ns.isUnitSchema()) return undefined;
  if (ns.isTimestampSchema()) return leaves.timestamp(value);
  if (ns.isBlobSchema()) return leaves.blob(value);
  if (ns.isListSchema()) return (value as unknown[]).map((item) => walkJson(ns.getValueSchema(), item, leaves));
  if (ns.isMapSchema()) return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, walkJson(ns.getValueSchema(), v, leaves)]));
  if (ns.isStructSchema()) {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, member] of ns.structIterator()) {
      const walked = walkJson(member, record[name], leaves);
      if (walked !== undefined) out[name] = walked;
    }
    return out;
  }
  return value;
}

// EC2's query protocol: `Name.N` lists (always flattened, numbered from 1), keys named by the
// member's ec2QueryName, else its xmlName or name capitalised; answers in XML named by xmlName,
// lists as `<xxxSet><item>`.

function queryKey(member: NormalizedSchema, name: string): string {
  const traits = member.getMergedTraits();
  if (typeof traits.ec2QueryName === 'string') return traits.ec2QueryName;
  const key = typeof traits.xmlName === 'string' ? traits.xmlName : name;
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Reads the input from form parameters; every parameter read is deleted from `params`, so what is
 * left over is a parameter the operation does not have. */
export function readQuery(ns: NormalizedSchema, params: Map<string, string>, prefix = ''): unknown {
  const dot = prefix ? `${prefix}.` : '';
  if (ns.isStructSchema()) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of ns.structIterator()) {
      const read = readQuery(member, params, `${dot}${queryKey(member, name)}`);
      if (read !== undefined) out[name] = read;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (ns.isListSchema()) {
    const items: unknown[] = [];
    for (let i = 1; [...params.keys()].some((k) => k === `${dot}${i}` || k.startsWith(`${dot}${i}.`)); i++) {
      items.push(readQuery(ns.getValueSchema(), params, `${dot}${i}`));
    }
    return items.length > 0 ? items : undefined;
  }
  if (ns.isMapSchema()) throw new WireError('InvalidParameterValue', `${prefix}: maps are not modelled by the test world`);
  const text = params.get(prefix);
  if (text === undefined) return undefined;
  params.delete(prefix);
  if (ns.isNumericSchema()) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new WireError('InvalidParameterValue', `Invalid value '${text}' for ${prefix}`);
    return Number(text);
  }
  if (ns.isBooleanSchema()) {
    if (text !== 'true' && text !== 'false') throw new WireError('InvalidParameterValue', `Invalid value '${text}' for ${prefix}`);
    return text === 'true';
  }
  if (ns.isTimestampSchema()) return new Date(text);
  if (ns.isBlobSchema()) return Buffer.from(text, 'base64');
  return text;
}

export function writeXml(ns: NormalizedSchema, value: unknown): string {
  if (ns.isUnitSchema()) return '';
  if (ns.isStructSchema()) {
    const record = value as Record<string, unknown>;
    let xml = '';
    for (const [name, member] of ns.structIterator()) {
      const v = record[name];
      if (v === undefined || v === null) continue;
      const traits = member.getMemberTraits();
      const tag = typeof traits.xmlName === 'string' ? traits.xmlName : name;
      xml += `<${tag}>${writeXml(member, v)}</${tag}>`;
    }
    return xml;
  }
  if (ns.isListSchema()) {
    const item = ns.getValueSchema();
    const itemTraits = item.getMergedTraits();
    const tag = typeof itemTraits.xmlName === 'string' ? itemTraits.xmlName : 'member';
    return (value as unknown[]).map((v) => `<${tag}>${writeXml(item, v)}</${tag}>`).join('');
  }
  if (ns.isMapSchema()) throw new Error(`${ns.getName()}: maps are not modelled by the test world`);
  if (ns.isTimestampSchema()) return (value as Date).toISOString();
  if (ns.isBlobSchema()) return Buffer.from(value as Uint8Array).toString('base64');
  return escapeXml(String(value));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A query-compatible service's errors by name: the code its query protocol had (the error schema's
 * awsQueryError trait) and the HTTP status, as the SDK's own error schemas say. */
export function queryErrorsOf(schemas: readonly StaticErrorSchema[]): Map<string, { code: string; status: number }> {
  const errors = new Map<string, { code: string; status: number }>();
  for (const schema of schemas) {
    const traits = NormalizedSchema.of(schema).getMergedTraits();
    const [code, status] = (traits.awsQueryError as [string, number] | undefined) ?? [schema[2], Number(traits.httpError ?? 400)];
    errors.set(schema[2], { code, status });
  }
  return errors;
}
