# Reference power / size simulation for two-arm time-to-first-event trials.
# R's survival package (3.5.3). Time unit: weeks.
#
# Tests:
#  (a) log-rank: survdiff(Surv(time, status) ~ arm); signed z for MSC arm
#      z = (O1 - E1) / sqrt(V11)  (arm coded MSC = 1, control = 0)
#  (b) Cox Wald: coxph(Surv(time, status) ~ arm, ties = "efron"); z = coef / se(coef)
# Rejection: two-sided alpha 0.05 -> |z| > qnorm(0.975)
#            one-sided alpha 0.025 (MSC hazard lower) -> z < qnorm(0.025)
# Non-finite z or fit error => counted as not rejecting, and counted as failure.
#
# For speed the fits use survival's internal workhorses (survdiff.fit and
# coxph.fit, exactly what survdiff()/coxph() call); equality with the formula
# interfaces is checked on the first replicates of every configuration.
#
# Data: every configuration starts from set.seed(20261126) (default RNG
# Mersenne-Twister / Inversion); all R replicates are generated sequentially in
# the master process (vectorised), then fitted in parallel (fits are
# deterministic, so results do not depend on the number of cores).

suppressPackageStartupMessages(library(survival))
library(parallel)

R_REPS <- 40000L
SEED   <- 20261126L
NCORES <- max(1L, parallel::detectCores())
survdiff_fit <- survival:::survdiff.fit

# Inverse cumulative hazard for the control arm, piecewise-constant hazard.
# breaks: left ends of pieces (first = 0), rates: hazards on each piece.
inv_cumhaz <- function(e, breaks, rates) {
  if (length(rates) == 1L) return(e / rates)
  k <- length(rates)
  H_at <- c(0, cumsum(diff(breaks) * rates[-k]))   # cum hazard at each break
  idx <- findInterval(e, H_at)                      # piece in which e falls
  breaks[idx] + (e - H_at[idx]) / rates[idx]
}

# Simulate one configuration: returns list of time and status matrices
# (rows = patients, first n_msc rows = MSC arm; columns = replicates).
simulate_config <- function(n_msc, n_ctl, breaks, rates, hr, F, d, R) {
  set.seed(SEED)
  N <- n_msc + n_ctl
  # event times: T = H^{-1}(E / HR_arm), E ~ Exp(1)
  E <- matrix(rexp(N * R, 1), nrow = N, ncol = R)
  hr_vec <- c(rep(hr, n_msc), rep(1, n_ctl))
  T <- inv_cumhaz(E / hr_vec, breaks, rates)        # hr_vec recycles down columns
  T <- matrix(T, nrow = N, ncol = R)
  if (d > 0) {
    D <- matrix(rexp(N * R, d), nrow = N, ncol = R)
  } else {
    D <- matrix(Inf, nrow = N, ncol = R)
  }
  C <- pmin(D, F)
  time <- pmin(T, C)
  status <- as.integer(T <= C)
  list(time = time, status = matrix(status, nrow = N, ncol = R))
}

fit_one <- function(time, status, arm) {
  y <- Surv(time, status)
  # log-rank
  z_lr <- tryCatch({
    sd <- survdiff_fit(y, factor(arm, levels = c(0, 1)), rho = 0)
    # groups ordered (0, 1): element 2 is MSC
    (sd$observed[2] - sd$expected[2]) / sqrt(sd$var[2, 2])
  }, error = function(e) NA_real_)
  # Cox, Efron ties
  cx <- tryCatch(
    suppressWarnings(coxph.fit(x = matrix(as.numeric(arm), ncol = 1), y = y,
                               strata = NULL, offset = NULL, init = NULL,
                               control = coxph.control(), weights = NULL,
                               method = "efron", rownames = NULL,
                               resid = FALSE)),
    error = function(e) NULL)
  if (is.null(cx)) {
    z_cox <- NA_real_; b <- NA_real_
  } else {
    b <- unname(cx$coefficients[1])
    z_cox <- b / sqrt(cx$var[1, 1])
  }
  # monotone likelihood indicator: one arm has no events
  ev1 <- sum(status[arm == 1]); ev0 <- sum(status[arm == 0])
  c(z_lr = unname(z_lr), z_cox = z_cox, beta = b,
    mono = as.numeric(ev1 == 0 || ev0 == 0), nev = ev1 + ev0)
}

# check fast path against the formula interfaces on some replicates
check_equal <- function(sim, arm, nchk = 50) {
  for (r in seq_len(nchk)) {
    df <- data.frame(time = sim$time[, r], status = sim$status[, r], arm = arm)
    f <- fit_one(df$time, df$status, df$arm)
    sd <- survdiff(Surv(time, status) ~ arm, data = df)
    z1 <- (sd$obs[2] - sd$exp[2]) / sqrt(sd$var[2, 2])
    cf <- suppressWarnings(coxph(Surv(time, status) ~ arm, data = df, ties = "efron"))
    z2 <- unname(coef(cf) / sqrt(diag(vcov(cf))))
    stopifnot(isTRUE(all.equal(unname(f["z_lr"]), unname(z1), tolerance = 1e-10)),
              isTRUE(all.equal(unname(f["z_cox"]), z2, tolerance = 1e-10)),
              isTRUE(all.equal(sd$chisq, unname(z1)^2, tolerance = 1e-8)))
  }
  invisible(TRUE)
}

# `Rscript survival_power.R` writes survival_power.txt (power, configs 1-4);
# `Rscript survival_power.R size` writes survival_size.txt (size under HR 1,
# configs 5-8).
which <- if (identical(commandArgs(trailingOnly = TRUE)[1], "size")) "size" else "power"
configs <- if (which == "power") list(
  list(id = 1, n_msc = 20, n_ctl = 20, breaks = 0, rates = 0.0273,
       hr = 0.5, F = 24, d = 0),
  list(id = 2, n_msc = 40, n_ctl = 40, breaks = 0, rates = 0.0273,
       hr = 0.5, F = 24, d = 0.01),
  list(id = 3, n_msc = 60, n_ctl = 60, breaks = c(0, 8), rates = c(0.01, 0.04),
       hr = 0.6, F = 24, d = 0),
  list(id = 4, n_msc = 40, n_ctl = 40, breaks = 0, rates = 0.0273,
       hr = 1, F = 24, d = 0.01)
) else list(
  list(id = 5, n_msc = 20, n_ctl = 20, breaks = 0, rates = 0.0273, hr = 1, F = 24, d = 0),
  list(id = 6, n_msc = 20, n_ctl = 20, breaks = 0, rates = 0.0273, hr = 1, F = 24, d = 0.02),
  list(id = 7, n_msc = 60, n_ctl = 60, breaks = 0, rates = 0.0273, hr = 1, F = 24, d = 0),
  list(id = 8, n_msc = 60, n_ctl = 60, breaks = 0, rates = 0.0273, hr = 1, F = 24, d = 0.02)
)

z2s <- qnorm(0.975); z1s <- qnorm(0.025)
rows <- list(); extra <- list()
t0 <- proc.time()
for (cf in configs) {
  sim <- simulate_config(cf$n_msc, cf$n_ctl, cf$breaks, cf$rates, cf$hr,
                         cf$F, cf$d, R_REPS)
  arm <- c(rep(1L, cf$n_msc), rep(0L, cf$n_ctl))
  check_equal(sim, arm)
  res <- mclapply(seq_len(R_REPS), function(r)
    fit_one(sim$time[, r], sim$status[, r], arm),
    mc.cores = NCORES, mc.preschedule = TRUE)
  res <- do.call(rbind, res)
  for (test in c("logrank", "cox_wald")) {
    z <- if (test == "logrank") res[, "z_lr"] else res[, "z_cox"]
    ok <- is.finite(z)
    nfail <- sum(!ok)
    rej2 <- ok & abs(z) > z2s
    rej1 <- ok & z < z1s
    for (s in c("two", "one")) {
      p <- mean(if (s == "two") rej2 else rej1)
      rows[[length(rows) + 1]] <- data.frame(
        config = cf$id, n = sprintf("%d+%d", cf$n_msc, cf$n_ctl), test = test,
        sided = if (s == "two") "two-sided a=0.05" else "one-sided a=0.025 (MSC lower)",
        power = p, mc_se = sqrt(p * (1 - p) / R_REPS), failures = nfail,
        stringsAsFactors = FALSE)
    }
  }
  extra[[length(extra) + 1]] <- data.frame(
    config = cf$id, R = R_REPS,
    mean_events = mean(res[, "nev"]),
    monotone_one_arm_no_events = sum(res[, "mono"]),
    zero_events_total = sum(res[, "nev"] == 0),
    mono_cox_rej_two = sum(res[, "mono"] == 1 & is.finite(res[, "z_cox"]) &
                             abs(res[, "z_cox"]) > z2s),
    mono_lr_rej_two = sum(res[, "mono"] == 1 & is.finite(res[, "z_lr"]) &
                            abs(res[, "z_lr"]) > z2s),
    max_abs_beta = max(abs(res[, "beta"]), na.rm = TRUE))
  cat(sprintf("config %d done, elapsed %.1f s\n", cf$id, (proc.time() - t0)[3]))
}
tab <- do.call(rbind, rows)
ext <- do.call(rbind, extra)

out <- paste0("survival_", which, ".txt")
fmt <- function(x) formatC(x, digits = 7, format = "g", flag = "#")
tab_print <- tab
tab_print$power <- fmt(tab$power)
tab_print$mc_se <- fmt(tab$mc_se)
sink(out)
options(width = 250)
cat(sprintf("# survival %s, R %s, replicates per config = %d, seed = %d (set before each config)\n",
            as.character(packageVersion("survival")), getRversion(), R_REPS, SEED))
cat("# z_lr = (O-E)/sqrt(V) for MSC arm (survdiff); z_cox = coef/se (coxph, efron); MSC=1\n")
cat("# two-sided: |z| > qnorm(0.975); one-sided: z < qnorm(0.025); failures = non-finite z (counted as not rejecting)\n")
print(tab_print, row.names = FALSE, right = FALSE)
cat("\n# diagnostics: monotone = replicates where one arm has zero events (Cox beta -> +-Inf, coxph warns;\n")
cat("#   coefficient/SE are whatever coxph returns at convergence, Wald z finite and kept)\n")
print(ext, row.names = FALSE, digits = 7)
sink()
cat(readLines(out), sep = "\n")
