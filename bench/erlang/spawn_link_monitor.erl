%% spawn_link and spawn_monitor per process, beside plain spawn: N processes that each wait in
%% receive, spawned by one process, three times into a warm heap (an untimed round first pays the
%% first touch of fresh memory, docs/performance.md). spawnUs: spawn/3; spawnLinkUs: spawn_link/3,
%% so the spawner holds N links (it traps exits, to wait for their N 'EXIT' messages once they
%% stop); spawnMonitorUs: spawn_monitor/3, so it holds N monitors and gets N 'DOWN' messages once
%% they stop. The waiting for the EXITs and DOWNs is outside the timed loops.
-module(spawn_link_monitor).
-export([main/0, idle/1, idle/0]).

idle(Parent) ->
    receive stop -> Parent ! stopped end.

idle() ->
    receive stop -> ok end.

spawn_all(0, _Me, Pids) -> Pids;
spawn_all(I, Me, Pids) -> spawn_all(I - 1, Me, [spawn(?MODULE, idle, [Me]) | Pids]).

link_all(0, Pids) -> Pids;
link_all(I, Pids) -> link_all(I - 1, [spawn_link(?MODULE, idle, []) | Pids]).

monitor_all(0, Pids) -> Pids;
monitor_all(I, Pids) ->
    {Pid, _Ref} = spawn_monitor(?MODULE, idle, []),
    monitor_all(I - 1, [Pid | Pids]).

stop_all(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids),
    lists:foreach(fun(_) -> receive stopped -> ok end end, Pids),
    garbage_collect().

%% The linked processes end on stop, and main, trapping exits, waits for their N 'EXIT' messages,
%% so that it has handled every exit signal before the next round is timed.
stop_linked(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids),
    lists:foreach(fun(_) -> receive {'EXIT', _, normal} -> ok end end, Pids),
    garbage_collect().

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
    stop_all(spawn_all(N, Me, [])),
    {SpawnUs, Plain} = per_process(N, fun() -> spawn_all(N, Me, []) end),
    stop_all(Plain),
    process_flag(trap_exit, true),
    {SpawnLinkUs, Linked} = per_process(N, fun() -> link_all(N, []) end),
    stop_linked(Linked),
    process_flag(trap_exit, false),
    {SpawnMonitorUs, Monitored} = per_process(N, fun() -> monitor_all(N, []) end),
    stop_monitored(Monitored),
    bench_util:print([{processes, N},
                      {spawnUs, SpawnUs},
                      {spawnLinkUs, SpawnLinkUs},
                      {spawnMonitorUs, SpawnMonitorUs},
                      {schedulers, bench_util:schedulers()}]).
