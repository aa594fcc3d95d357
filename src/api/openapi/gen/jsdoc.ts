import ts from 'typescript';

// Descriptions live in the /** … */ block before each declaration of the model library's
// .d.ts files. Read the raw block instead of ts's JSDoc parser: upstream descriptions contain
// `@` and indentation that a tag parser would split or trim.
export function docComment(node: ts.Node, source: ts.SourceFile): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.pos) ?? [];
  for (let i = ranges.length - 1; i >= 0; i--) {
    const raw = source.text.slice(ranges[i].pos, ranges[i].end);
    if (!raw.startsWith('/**')) continue;
    const lines = raw
      .slice(3, -2)
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
    while (lines.length && lines[0].trim() === '') lines.shift();
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    const text = lines.join('\n').replace(/\*\\\//g, '*/');
    return text || undefined;
  }
  return undefined;
}

export function propertyName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  throw new Error(`reading model declarations: unsupported property name kind ${ts.SyntaxKind[name.kind]}`);
}
