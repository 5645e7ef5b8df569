%% Spawn time and memory per idle process: 1,000,000 processes that each wait in receive; then,
%% once they have ended, a second million into the memory the first ones left (warmSpawnUs).
%% bytesPerProcess: the growth of erlang:memory(processes), less the spawning process's own
%% memory (which holds the list of pids), divided by N. processInfoBytes: process_info(P, memory)
%% of one idle process.
-module(spawn_memory).
-export([main/0, idle/1]).

idle(Parent) ->
    receive stop -> Parent ! stopped end.

spawn_all(0, _Me, Pids) -> Pids;
spawn_all(I, Me, Pids) -> spawn_all(I - 1, Me, [spawn(?MODULE, idle, [Me]) | Pids]).

stop_all(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids),
    lists:foreach(fun(_) -> receive stopped -> ok end end, Pids).

%% Waits until every run queue is empty: every new process has run to its receive.
wait_parked() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> erlang:yield(), wait_parked()
    end.

others_memory() ->
    {memory, Own} = process_info(self(), memory),
    erlang:memory(processes) - Own.

main() ->
    N = bench_util:env_int("BENCH_N", 1000000),
    Me = self(),
    garbage_collect(),
    Before = others_memory(),
    T0 = bench_util:now_us(),
    Pids = spawn_all(N, Me, []),
    T1 = bench_util:now_us(),
    wait_parked(),
    T2 = bench_util:now_us(),
    After = others_memory(),
    {memory, One} = process_info(hd(Pids), memory),
    stop_all(Pids),
    garbage_collect(),
    T3 = bench_util:now_us(),
    Warm = spawn_all(N, Me, []),
    T4 = bench_util:now_us(),
    stop_all(Warm),
    bench_util:print([{processes, N},
                      {spawnUs, (T1 - T0) / N},
                      {spawnAndParkUs, (T2 - T0) / N},
                      {bytesPerProcess, (After - Before) / N},
                      {processInfoBytes, One},
                      {warmSpawnUs, (T4 - T3) / N},
                      {schedulers, bench_util:schedulers()}]).
