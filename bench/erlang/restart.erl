%% Restart latency under one_for_one: a supervisor with one gen_server child; the client kills the
%% child (exit(Pid, kill)) and times until a call to the restarted child has answered. The client
%% finds the new child by asking the supervisor (which_children) until it names a pid other than
%% the killed one. restartUs: the mean over the rounds; restartMedianUs: their median.
%% The supervisor allows every restart of the run (intensity above the rounds, period 1 s), so
%% what is timed is the restart itself, with the supervisor's bookkeeping of recent restarts.
-module(restart).
-export([main/0, init/1, handle_call/3, handle_cast/2]).

%% One module plays both parts: init(supervisor) is the supervisor's callback, init(worker) the
%% gen_server's.
init({supervisor, Intensity}) ->
    Flags = #{strategy => one_for_one, intensity => Intensity, period => 1},
    Child = #{id => worker, start => {gen_server, start_link, [?MODULE, worker, []]}},
    {ok, {Flags, [Child]}};
init(worker) ->
    {ok, none}.

handle_call(ping, _From, State) -> {reply, pong, State}.
handle_cast(_Msg, State) -> {noreply, State}.

child(Sup) ->
    [{worker, Pid, worker, _}] = supervisor:which_children(Sup),
    Pid.

%% The restarted child: the supervisor answers which_children with the old pid (or restarting)
%% until it has handled the 'EXIT' and started the new one.
new_child(Sup, Old) ->
    case child(Sup) of
        Pid when is_pid(Pid), Pid =/= Old -> Pid;
        _ -> new_child(Sup, Old)
    end.

restart_once(Sup) ->
    Old = child(Sup),
    T0 = bench_util:now_us(),
    exit(Old, kill),
    New = new_child(Sup, Old),
    pong = gen_server:call(New, ping),
    bench_util:now_us() - T0.

main() ->
    logger:set_primary_config(level, none),
    Rounds = bench_util:env_int("BENCH_N", 10000),
    Warmup = max(1, Rounds div 10),
    {ok, Sup} = supervisor:start_link(?MODULE, {supervisor, Rounds + Warmup + 1}),
    [restart_once(Sup) || _ <- lists:seq(1, Warmup)],
    T0 = bench_util:now_us(),
    Times = [restart_once(Sup) || _ <- lists:seq(1, Rounds)],
    Total = bench_util:now_us() - T0,
    Sorted = lists:sort(Times),
    Median = lists:nth(Rounds div 2 + 1, Sorted),
    bench_util:print([{restarts, Rounds},
                      {restartUs, lists:sum(Times) / Rounds},
                      {restartMedianUs, Median},
                      {loopUs, Total / Rounds},
                      {schedulers, bench_util:schedulers()}]).
