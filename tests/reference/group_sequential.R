# Reference group-sequential boundaries and powers for tests/interim.rs.
# Run: Rscript tests/reference/group_sequential.R > tests/reference/group_sequential.txt
# (R 4.2.2, rpact from Debian's r-cran-rpact).
#
# Each "bounds" line: type sided alpha gamma binding fractions futility : z bounds.
# Each "power" line: the design as above, then delta sd N : overall power,
# efficacy stops per look, futility stops per look, expected subjects
# (getPowerMeans, normalApproximation = TRUE, two groups 1:1, so the z test
# of a difference in means with known SD).
library(rpact)
cat(sprintf("# rpact %s\n", as.character(packageVersion("rpact"))))
fmt <- function(x) paste(sprintf("%.12g", as.numeric(x)), collapse = ",")
design <- function(type, sided, alpha, gamma, binding, fractions, futility) {
  args <- list(kMax = length(fractions), alpha = alpha, sided = sided,
               typeOfDesign = type, informationRates = fractions)
  if (type == "asHSD") args$gammaA <- gamma
  if (length(fractions) > 1 && !all(is.na(futility))) {
    args$futilityBounds <- futility
    args$bindingFutility <- binding
  }
  do.call(getDesignGroupSequential, args)
}
configs <- list()
add <- function(...) configs[[length(configs) + 1]] <<- list(...)
fractions <- list(c(0.5, 1), c(0.2, 0.7, 1), c(1/3, 2/3, 1), c(0.2, 0.4, 0.6, 0.8, 1),
                  c(0.1, 0.25, 0.5, 0.8, 1))
for (type in c("asOF", "asP", "asHSD")) for (sided in 1:2) for (f in fractions) {
  gammas <- if (type == "asHSD") c(-4, 1) else NA
  for (g in gammas) add(type, sided, 0.025 * sided, g, FALSE, f, rep(NA, length(f) - 1))
}
add("asHSD", 1, 0.025, 0, FALSE, c(0.5, 1), NA)
add("asOF", 1, 0.025, NA, TRUE, c(0.5, 1), 0)
add("asP", 1, 0.025, NA, TRUE, c(0.3, 0.6, 1), c(-0.5, 0.5))
add("asOF", 1, 0.05, NA, TRUE, c(0.25, 0.5, 0.75, 1), c(-1, 0, 0.5))
for (c in configs) {
  d <- design(c[[1]], c[[2]], c[[3]], c[[4]], c[[5]], c[[6]], c[[7]])
  cat(sprintf("bounds %s %d %g %s %s %s %s : %s\n", c[[1]], c[[2]], c[[3]], c[[4]], c[[5]],
              fmt(c[[6]]), fmt(c[[7]]), fmt(d$criticalValues)))
}
powers <- list(
  list("asOF", 1, 0.025, NA, FALSE, c(0.5, 1), 0, 2.5, 6, 80),
  list("asP", 1, 0.025, NA, FALSE, c(0.3, 0.6, 1), c(-0.5, 0.5), 2.5, 6, 120),
  list("asOF", 1, 0.025, NA, TRUE, c(0.5, 1), 0, 0, 6, 80),
  list("asHSD", 1, 0.025, -4, FALSE, c(0.2, 0.7, 1), c(NA, NA), 3, 6, 100),
  # The simulated Welch t designs of tests/interim.rs (300 and 40 per arm).
  list("asOF", 1, 0.025, NA, FALSE, c(0.5, 1), 0, 1.2, 6, 600),
  list("asP", 1, 0.025, NA, FALSE, c(0.3, 0.6, 1), c(-0.5, 0.5), 1.2, 6, 600)
)
for (c in powers) {
  d <- design(c[[1]], c[[2]], c[[3]], c[[4]], c[[5]], c[[6]], c[[7]])
  p <- getPowerMeans(d, groups = 2, normalApproximation = TRUE, alternative = c[[8]],
                     stDev = c[[9]], maxNumberOfSubjects = c[[10]])
  fut <- if (length(c[[6]]) > 1) p$futilityPerStage[, 1] else numeric(0)
  cat(sprintf("power %s %d %g %s %s %s %s %g %g %g : %s ; %s ; %s ; %s\n", c[[1]], c[[2]], c[[3]],
              c[[4]], c[[5]], fmt(c[[6]]), fmt(c[[7]]), c[[8]], c[[9]], c[[10]],
              fmt(p$overallReject), fmt(p$rejectPerStage[, 1]), fmt(fut),
              fmt(p$expectedNumberOfSubjects)))
}
