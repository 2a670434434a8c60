# drawn as Poisson(mu*L*E[xi]), mu = 1.25e-8, L = 1e8, at N_b = 1000,
# T_b = 2000, N_r = 20000 (examples/demes/fit_bottleneck.yaml is 2x off)
21 unfolded "A"
0 19716 6986 5300 4812 4698 4228 3942 3897 3601 3444 3281 3192 3102 2882 2821 2697 2590 2556 2510 0
