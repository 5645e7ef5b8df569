%% spawn_link and spawn_monitor per process, beside plain spawn: N processes that each wait in
%% receive, spawned by one process, three times into a warm heap (an untimed round first pays the
%% first touch of fresh memory, docs/performance.md). spawnUs: spawn/3; spawnLinkUs: spawn_link/3,
%% so the spawner holds N links; spawnMonitorUs: spawn_monitor/3, so it holds N monitors and gets
%% N 'DOWN' messages once they stop (collected outside the timed loop).
-module(spawn_link_monitor).
-export([main/0, idle/1, idle/0]).

idle(Parent) ->
    receive stop -> Parent ! stopped end.

idle() ->
    receive stop -> ok end.

spawn_all(0, _Me, Pids) -> Pids;
spawn_all(I, Me, Pids) -> spawn_all(I - 1, Me, [spawn(?MODULE, idle, [Me]) | Pids]).

link_all(0, _Me, Pids) -> Pids;
link_all(I, Me, Pids) -> link_all(I - 1, Me, [spawn_link(?MODULE, idle, [Me]) | Pids]).

monitor_all(0, Pids) -> Pids;
monitor_all(I, Pids) ->
    {Pid, _Ref} = spawn_monitor(?MODULE, idle, []),
    monitor_all(I - 1, [Pid | Pids]).

stop_all(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids),
    lists:foreach(fun(_) -> receive stopped -> ok end end, Pids),
    garbage_collect().

%% The linked processes send 'stopped' before they exit; their exits reach the spawner as signals
%% it handles later, so it waits until only the links it had before are left (the process that
%% runs -eval has one) before the next round is timed.
stop_linked(Pids, Before) ->
    stop_all(Pids),
    wait_unlinked(Before).

link_count() ->
    {links, Links} = process_info(self(), links),
    length(Links).

wait_unlinked(Before) ->
    case link_count() of
        Before -> ok;
        _ -> erlang:yield(), wait_unlinked(Before)
    end.

stop_monitored(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids),
    lists:foreach(fun(_) -> receive {'DOWN', _, process, _, normal} -> ok end end, Pids),
    garbage_collect().

%% The time of Fun() divided by N, in µs, and what Fun returned.
per_process(N, Fun) ->
    T0 = bench_util:now_us(),
    Pids = Fun(),
    {(bench_util:now_us() - T0) / N, Pids}.

main() ->
    N = bench_util:env_int("BENCH_N", 200000),
    Me = self(),
    Links = link_count(),
    stop_all(spawn_all(N, Me, [])),
    {SpawnUs, Plain} = per_process(N, fun() -> spawn_all(N, Me, []) end),
    stop_all(Plain),
    {SpawnLinkUs, Linked} = per_process(N, fun() -> link_all(N, Me, []) end),
    stop_linked(Linked, Links),
    {SpawnMonitorUs, Monitored} = per_process(N, fun() -> monitor_all(N, []) end),
    stop_monitored(Monitored),
    bench_util:print([{processes, N},
                      {spawnUs, SpawnUs},
                      {spawnLinkUs, SpawnLinkUs},
                      {spawnMonitorUs, SpawnMonitorUs},
                      {schedulers, bench_util:schedulers()}]).
