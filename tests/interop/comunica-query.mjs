// Run one SPARQL query against a SPARQL endpoint with Comunica, and print the result as JSON.
//
//   node tests/interop/comunica-query.mjs ENDPOINT_URL QUERY
//
// Output (stdout, one JSON document):
//   {"type": "bindings", "variables": [...], "bindings": [{"var": TERM, ...}, ...]}
//   {"type": "boolean", "boolean": true}
//   {"type": "quads", "quads": [{"subject": TERM, "predicate": TERM, "object": TERM, "graph": TERM}, ...]}
// where TERM is {"termType", "value"} plus "language" and "datatype" for literals.
// Exit status: 0 on success, 1 if the query failed (message on stderr), 2 on bad usage.
// Tested with @comunica/query-sparql 4 (Comunica 5 needs Node 22). Install: npm ci --prefix tests/interop
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { QueryEngine } = require('@comunica/query-sparql');
const { DataFactory } = require('rdf-data-factory');

// Comunica 4.5 creates its terms with rdf-data-factory 1, but its SPARQL endpoint client
// (fetch-sparql-endpoint 6 -> sparqljson-parse 3) calls literal(value, {language, direction}),
// the RDF 1.2 form that only rdf-data-factory 2 understands: with the default factory every
// language-tagged literal from an endpoint arrives with language '' and a bogus datatype.
// Giving the engine an rdf-data-factory 2 factory (a documented context entry) avoids that.
const DATA_FACTORY_KEY = '@comunica/actor-init-query:dataFactory';

function term(value) {
  if (!value) return null;
  const out = { termType: value.termType, value: value.value };
  if (value.termType === 'Literal') {
    out.language = value.language || '';
    out.datatype = value.datatype ? value.datatype.value : '';
  }
  if (value.termType === 'Quad') {  // RDF-star quoted triple
    out.subject = term(value.subject);
    out.predicate = term(value.predicate);
    out.object = term(value.object);
  }
  return out;
}

async function main() {
  const [url, query] = process.argv.slice(2);
  if (!url || query === undefined) {
    process.stderr.write('usage: node comunica-query.mjs ENDPOINT_URL QUERY\n');
    return 2;
  }
  const engine = new QueryEngine();
  const context = { sources: [{ type: 'sparql', value: url }], lenient: false, [DATA_FACTORY_KEY]: new DataFactory() };
  const result = await engine.query(query, context);
  let output;
  if (result.resultType === 'bindings') {
    const metadata = await result.metadata();
    const variables = metadata.variables.map((v) => (v.variable ? v.variable.value : v.value));
    const rows = await (await result.execute()).toArray();
    output = {
      type: 'bindings',
      variables,
      bindings: rows.map((row) => {
        const out = {};
        for (const [variable, value] of row) out[variable.value] = term(value);
        return out;
      }),
    };
  } else if (result.resultType === 'boolean') {
    output = { type: 'boolean', boolean: await result.execute() };
  } else if (result.resultType === 'quads') {
    const quads = await (await result.execute()).toArray();
    output = {
      type: 'quads',
      quads: quads.map((q) => ({
        subject: term(q.subject), predicate: term(q.predicate), object: term(q.object), graph: term(q.graph),
      })),
    };
  } else {
    await result.execute();
    output = { type: result.resultType };
  }
  process.stdout.write(JSON.stringify(output) + '\n');
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (error) => {
    process.stderr.write(`comunica: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
