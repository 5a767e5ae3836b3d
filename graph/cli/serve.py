"""``alliances serve``: the SPARQL endpoint and the explorer (graph.serve)."""
from __future__ import annotations

import click

from graph.cli.context import Context
from graph.cli.errors import fail
from graph.extras import SERVE, require


def _size(ctx: click.Context, param: click.Parameter, value: str | int | None) -> int | None:
    """A memory size such as 2G or 512M (graph.serve.context.parse_size), in bytes."""
    from graph.serve.context import parse_size

    if value is None or isinstance(value, int):
        return value
    try:
        return parse_size(value, "")  # click names the option
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def _cache_size(ctx: click.Context, param: click.Parameter, value: str | int | None) -> int | None:
    """A size such as 64M or 0 (graph.serve.context.parse_size), in bytes; None: the default."""
    from graph.serve.context import parse_size

    if value is None or isinstance(value, int):
        return value
    try:
        return parse_size(value, "", minimum=0)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


@click.command()
@click.option("--host", envvar="ALLIANCES_HOST", default="127.0.0.1", show_default=True, help="Address to listen on (env ALLIANCES_HOST).")
@click.option("--port", envvar="ALLIANCES_PORT", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port (env ALLIANCES_PORT).")
@click.option("--deadline", envvar="ALLIANCES_DEADLINE", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds a query may run before its worker is killed (env ALLIANCES_DEADLINE).")
@click.option("--workers", envvar="ALLIANCES_WORKERS", type=click.IntRange(1, 64), default=None,
              help="Query worker processes (env ALLIANCES_WORKERS; default: one per core, at least 2).")
@click.option("--max-rows", type=click.IntRange(1), default=100_000, show_default=True)
@click.option("--worker-memory", envvar="ALLIANCES_WORKER_MEMORY", metavar="SIZE", default=None, callback=_size,
              help="Memory one query worker may use, e.g. 2G or 512M; a query over it ends with 503 "
                   "(env ALLIANCES_WORKER_MEMORY; default: total memory / (workers + 1), at most 4G).")
@click.option("--client-workers", envvar="ALLIANCES_CLIENT_WORKERS", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Query workers one client address may hold at a time; its other requests wait their turn (env ALLIANCES_CLIENT_WORKERS).")
@click.option("--client-queue", envvar="ALLIANCES_CLIENT_QUEUE", type=click.IntRange(0), default=8, show_default=True,
              help="Requests one client address may have waiting; beyond, 429 with Retry-After (env ALLIANCES_CLIENT_QUEUE).")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update with the token from --token or ALLIANCES_UPDATE_TOKEN.")
@click.option("--token", envvar="ALLIANCES_UPDATE_TOKEN", help="The bearer token updates must carry (with --allow-update).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME[:PORT]", envvar="ALLIANCES_ALLOWED_HOSTS",
              help="Another name of this server that updates may use in Host and Origin (repeatable; env "
                   "ALLIANCES_ALLOWED_HOSTS, space-separated). The bound address, and localhost when bound to "
                   "loopback, are always allowed.")
@click.option("--request-timeout", envvar="ALLIANCES_REQUEST_TIMEOUT", type=click.FloatRange(0.1), default=20.0,
              show_default=True, help="Seconds a client has to send a whole request (env ALLIANCES_REQUEST_TIMEOUT).")
@click.option("--cache-size", envvar="ALLIANCES_CACHE_SIZE", metavar="SIZE", default=None, callback=_cache_size,
              help="Memory for answers kept for the published build, e.g. 64M; 0: none kept (env ALLIANCES_CACHE_SIZE; "
                   "default 64M). Not used with --allow-update.")
@click.option("--no-access-log", is_flag=True, help="Do not write one JSON line per request to standard error.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, deadline: float, workers: int | None, max_rows: int, worker_memory: int | None,
          client_workers: int, client_queue: int, allow_update: bool, token: str | None, allowed_hosts: tuple[str, ...],
          request_timeout: float, cache_size: int | None, no_access_log: bool) -> None:
    """Serve the graph: SPARQL 1.1 Protocol at /sparql, and the explorer at /."""
    require(SERVE)  # a missing starlette, uvicorn or httptools: one line that names the extra
    from graph.serve.app import serve as run_server
    from graph.serve.context import ServeSettings, default_workers
    from graph.serve.hosts import HostPolicy

    if allow_update and not token:
        fail("--allow-update needs a token: --token TOKEN or ALLIANCES_UPDATE_TOKEN")
    if obj.remote is not None:
        if allow_update:
            fail("updates are not forwarded to a remote store: serve it without --allow-update, and send updates to "
                 "the store's own update endpoint")
        store_path = obj.settings.store_path
        obj.open().query("ASK {}")  # a clear error now if the store does not answer
        obj.close()
    else:
        store_path = obj.local_store("serve").store_path
        obj.open()  # a clear error now if nothing is built
    settings = ServeSettings(store_path=store_path, remote=obj.remote, host=host, port=port, deadline_s=deadline,
                             workers=workers or default_workers(),
                             max_rows=max_rows, worker_memory=worker_memory, client_workers=client_workers,
                             client_queue=client_queue, allow_update=allow_update, update_token=token, base=obj.settings.base,
                             access_log=not no_access_log, allowed_hosts=allowed_hosts, request_timeout_s=request_timeout,
                             **({} if cache_size is None else {"cache_bytes": cache_size}))
    HostPolicy(host, port, allowed_hosts)  # a bad --allowed-host: exit 2 before "Serving"
    served = obj.remote or settings.store_path
    click.echo(f"Serving {served} at http://{host}:{port}/  (SPARQL: http://{host}:{port}/sparql)", err=True)
    run_server(settings)
