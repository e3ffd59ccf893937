// Describes protocol.ts files as data, through the TypeScript compiler, for the protocol mirror
// tests (extension/test/unit/protocol.test.ts, tests/test_protocol_mirror.py). The description
// has the shape tests/protocol_shape.py gives the Python side: every request and notification
// (method, params and result type names) and every exported type (an object's fields with their
// type and optionality, or an alias's type), types spelt the TypeScript way, unions sorted.
//
//   node scripts/protocol-shape.mjs FILE...    prints a JSON list, one description per file
import { readFileSync } from "node:fs";
import ts from "typescript";

export function describe(source) {
  const file = ts.createSourceFile("protocol.ts", source, ts.ScriptTarget.ES2022, true);
  const described = { requests: {}, notifications: {}, types: {} };
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const fields = {};
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || member.type === undefined) {
          throw new Error(`${statement.name.text}: only typed properties are supported`);
        }
        fields[member.name.getText()] = {
          type: spell(member.type),
          optional: member.questionToken !== undefined,
        };
      }
      described.types[statement.name.text] = { fields };
    } else if (ts.isTypeAliasDeclaration(statement)) {
      const spelt = spell(statement.type);
      // An empty object: what the Python side declares as a TypedDict without keys.
      described.types[statement.name.text] =
        spelt === "Record<string, never>" ? { fields: {} } : { alias: spelt };
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const name = declaration.name.getText();
        if (name === "requests" || name === "notifications") {
          Object.assign(described[name], messages(declaration.initializer));
        }
      }
    }
  }
  return described;
}

function messages(initializer) {
  let node = initializer;
  while (node !== undefined && ts.isAsExpression(node)) {
    node = node.expression;
  }
  if (node === undefined || !ts.isObjectLiteralExpression(node)) {
    throw new Error("requests and notifications must be object literals");
  }
  const out = {};
  for (const property of node.properties) {
    const made = ts.isPropertyAssignment(property) ? property.initializer : undefined;
    const method = made?.arguments?.[0];
    if (!made || !ts.isNewExpression(made) || !method || !ts.isStringLiteral(method)) {
      throw new Error(`${property.getText()}: declare it as new XType<...>("scorelens/...")`);
    }
    // The third type argument of RequestType is its error data, which ScoreLens never sends.
    const [params, result] = (made.typeArguments ?? []).slice(0, 2).map(spell);
    out[method.text] =
      made.expression.getText() === "RequestType" ? { params, result } : { params };
  }
  return out;
}

function spell(node) {
  return [...new Set(members(node))].sort().join(" | ");
}

function members(node) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return ["string"];
    case ts.SyntaxKind.NumberKeyword:
      return ["number"];
    case ts.SyntaxKind.BooleanKeyword:
      return ["boolean"];
    case ts.SyntaxKind.UnknownKeyword:
      return ["unknown"];
    case ts.SyntaxKind.NeverKeyword:
      return ["never"];
    default:
      break;
  }
  if (ts.isUnionTypeNode(node)) {
    return node.types.flatMap(members);
  }
  if (ts.isParenthesizedTypeNode(node)) {
    return members(node.type);
  }
  if (ts.isLiteralTypeNode(node)) {
    if (node.literal.kind === ts.SyntaxKind.NullKeyword) {
      return ["null"];
    }
    if (ts.isStringLiteral(node.literal)) {
      return [JSON.stringify(node.literal.text)];
    }
  }
  if (ts.isArrayTypeNode(node)) {
    return [array(spell(node.elementType))];
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    const args = (node.typeArguments ?? []).map(spell);
    if (name === "Record" && args.length === 2) {
      return [`Record<${args[0]}, ${args[1]}>`];
    }
    if (name === "Array" && args.length === 1) {
      return [array(args[0])];
    }
    if (args.length === 0) {
      return [name];
    }
  }
  throw new Error(
    `no spelling for "${node.getText()}": name inline object types and keep to JSON shapes`,
  );
}

function array(item) {
  return item.includes(" | ") ? `(${item})[]` : `${item}[]`;
}

if (process.argv[1]?.endsWith("protocol-shape.mjs")) {
  const files = process.argv.slice(2);
  console.log(JSON.stringify(files.map((f) => describe(readFileSync(f, "utf8")))));
}
