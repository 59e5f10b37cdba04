"use strict";
// Arguments in JSON -> TypeORM arguments: {"$op": "MoreThan", "value": 5} becomes
// MoreThan(5); {"$op": "Raw", "sql": "{alias} > :n", "params": {"n": 5}} becomes
// Raw((alias) => `${alias} > :n`, {n: 5}).

function operatorOf(typeorm, spec) {
  const name = spec.$op;
  const v = spec.value;
  switch (name) {
    case "Not":
      return typeorm.Not(decode(typeorm, v));
    case "Equal":
      return typeorm.Equal(decode(typeorm, v));
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
      return typeorm.And(...v.map((x) => decode(typeorm, x)));
    case "Or":
      return typeorm.Or(...v.map((x) => decode(typeorm, x)));
    default:
      throw new Error(`unknown operator ${name}`);
  }
}

function decode(typeorm, value) {
  if (Array.isArray(value)) return value.map((x) => decode(typeorm, x));
  if (value !== null && typeof value === "object") {
    if (typeof value.$op === "string") return operatorOf(typeorm, value);
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(typeorm, v);
    return out;
  }
  return value;
}

module.exports = { decode };
