"use strict";
// Arguments in JSON -> TypeORM arguments: {"$op": "MoreThan", "value": 5} becomes
// MoreThan(5); {"$op": "Raw", "sql": "{alias} > :n", "params": {"n": 5}} becomes
// Raw((alias) => `${alias} > :n`, {n: 5}). JavaScript values JSON has no spelling for:
// {"$date": "2024-01-01T00:00:00.000Z"} is a Date, {"$bytes": "00ff"} a Buffer and
// {"$undefined": true} is undefined (a key set to undefined, not a missing key).

function operatorOf(typeorm, spec) {
  const name = spec.$op;
  const v = decode(typeorm, spec.value);
  switch (name) {
    case "Not":
      return typeorm.Not(v);
    case "Equal":
      return typeorm.Equal(v);
    case "LessThan":
    case "LessThanOrEqual":
    case "MoreThan":
    case "MoreThanOrEqual":
    case "Like":
    case "ILike":
    case "ArrayContains":
    case "ArrayContainedBy":
    case "ArrayOverlap":
    case "JsonContains":
      return typeorm[name](v);
    case "Between":
      return typeorm.Between(v[0], v[1]);
    case "In":
      return typeorm.In(v);
    case "Any":
      return typeorm.Any(v);
    case "IsNull":
      return typeorm.IsNull();
    case "Raw": {
      const sql = String(spec.sql);
      return typeorm.Raw((alias) => sql.split("{alias}").join(alias), spec.params || {});
    }
    case "And":
      return typeorm.And(...v);
    case "Or":
      return typeorm.Or(...v);
    default:
      throw new Error(`unknown operator ${name}`);
  }
}

function special(value) {
  if (typeof value.$date === "string" && Object.keys(value).length === 1) return new Date(value.$date);
  if (typeof value.$bytes === "string" && Object.keys(value).length === 1) return Buffer.from(value.$bytes, "hex");
  if (value.$undefined === true && Object.keys(value).length === 1) return undefined;
  return value;
}

function decode(typeorm, value) {
  if (Array.isArray(value)) return value.map((x) => decode(typeorm, x));
  if (value !== null && typeof value === "object") {
    if (typeof value.$op === "string") return operatorOf(typeorm, value);
    const made = special(value);
    if (made !== value) return made;
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(typeorm, v);
    return out;
  }
  return value;
}

module.exports = { decode };
