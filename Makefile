# Two entry points for a new machine (see README):
#   make demo   set everything up, start the local Neo4j, load the real sample, show a lineage
#   make test   set everything up and run the whole test suite against a real Neo4j
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SAMPLE ?= ../shared/data/hub_stats_sample.parquet
MODEL  ?= meta-llama/Llama-3.1-8B-Instruct

.PHONY: setup system demo test wheel-test docs bench bench-load clean

# Java 17 and Maven fetch the Neo4j jars once; docker-compose only validates docker-compose.yml;
# chromium renders the pages we write (reports, lineage graphs, the Neo4j Browser) in the tests;
# graphviz lays out `hflineage graph`.
SYSTEM_PACKAGES = openjdk-17-jre-headless maven docker-compose chromium graphviz fonts-dejavu-core
system:
	@command -v java >/dev/null && command -v mvn >/dev/null && command -v docker-compose >/dev/null && \
	  command -v chromium >/dev/null && command -v dot >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

$(BIN)/hflineage: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,fast,hf,bench]'
	@touch $@

setup: system $(BIN)/hflineage

demo: setup
	$(BIN)/hflineage db start
	$(BIN)/hflineage load $(SAMPLE)
	$(BIN)/hflineage show $(MODEL)
	$(BIN)/hflineage chain $(MODEL)
	$(BIN)/hflineage load --datasets tests/fixtures/datasets.parquet   # made-up licenses (README)
	$(BIN)/hflineage dataset teknium/OpenHermes-2.5
	$(BIN)/hflineage graph $(MODEL) --down 1 --max-nodes 60 --out demo-lineage.html
	@echo "open demo-lineage.html in a browser: the lineage above, drawn (pan, zoom, click a model)"

test: setup
	$(BIN)/python -m pytest -q

# Build the wheel, install it in a fresh venv, and run the tests against the installed package.
wheel-test: setup
	rm -rf dist build .wheel-venv
	$(BIN)/python -m build -q --wheel --outdir dist . >/dev/null
	$(PYTHON) -m venv .wheel-venv
	.wheel-venv/bin/pip install -q "$$(ls dist/*.whl)[test]"
	cd /tmp && $(CURDIR)/.wheel-venv/bin/python -c "import hflineage, hflineage.loader as m; assert 'site-packages' in m.__file__ and 'site-packages' in hflineage.__file__, m.__file__"
	.wheel-venv/bin/python -m pytest -q -p no:cacheprovider tests/test_registry.py tests/test_cli.py tests/test_server.py tests/test_api.py

# The documentation site (docs/, mkdocs.yml): --strict makes a page missing from nav, a link to a
# missing page or a missing anchor an error.
docs: setup
	test -x $(BIN)/mkdocs || $(BIN)/pip install -q -e '.[docs]'
	$(BIN)/mkdocs build --strict --site-dir site

# The peer benchmark suite (our loader vs naive vs neo4j-admin import; lookups vs DuckDB and
# networkx) at 100k..2.5M models; writes BENCHMARKS.md and bench/cost_vs_size.png.
bench: setup
	$(BIN)/python bench/run_all.py

bench-load: setup
	$(BIN)/python bench/bench_load.py

clean:
	rm -rf $(VENV) .wheel-venv dist build *.egg-info site
