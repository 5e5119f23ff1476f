// Maximum-weight bipartite assignment (Kuhn-Munkres with potentials,
// O(rows^2 * cols)), the matching FDDB's evaluator uses to pair annotations
// with detections one-to-one.
#include <limits>

#include "ifq/detect/fddb_eval.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

// Minimum-cost assignment of every row to a distinct column, rows <= cols.
// cost is 1-based internally; returns the column of each row.
std::vector<int> min_cost_assignment(const std::vector<std::vector<double>>& cost, int rows, int cols) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(rows + 1, 0), v(cols + 1, 0);
  std::vector<int> match(cols + 1, 0), way(cols + 1, 0);  // match[col] = row (1-based)
  for (int r = 1; r <= rows; ++r) {
    match[0] = r;
    int c0 = 0;
    std::vector<double> min_to(cols + 1, inf);
    std::vector<char> used(cols + 1, 0);
    do {
      used[c0] = 1;
      const int r0 = match[c0];
      double delta = inf;
      int c1 = 0;
      for (int c = 1; c <= cols; ++c) {
        if (used[c]) continue;
        const double reduced = cost[r0 - 1][c - 1] - u[r0] - v[c];
        if (reduced < min_to[c]) {
          min_to[c] = reduced;
          way[c] = c0;
        }
        if (min_to[c] < delta) {
          delta = min_to[c];
          c1 = c;
        }
      }
      for (int c = 0; c <= cols; ++c) {
        if (used[c]) {
          u[match[c]] += delta;
          v[c] -= delta;
        } else {
          min_to[c] -= delta;
        }
      }
      c0 = c1;
    } while (match[c0] != 0);
    do {
      const int c1 = way[c0];
      match[c0] = match[c1];
      c0 = c1;
    } while (c0 != 0);
  }
  std::vector<int> row_to_col(rows, -1);
  for (int c = 1; c <= cols; ++c)
    if (match[c] != 0) row_to_col[match[c] - 1] = c - 1;
  return row_to_col;
}

}  // namespace

std::vector<int> max_weight_matching(const std::vector<std::vector<double>>& weights) {
  const int rows = int(weights.size());
  if (rows == 0) return {};
  const int cols = int(weights[0].size());
  for (const auto& row : weights) {
    if (int(row.size()) != cols) throw Error("max_weight_matching: ragged weight matrix");
    for (double w : row)
      if (!(w >= 0)) throw Error("max_weight_matching: weights must be non-negative numbers");
  }
  std::vector<int> result(rows, -1);
  if (cols == 0) return result;
  // Maximising weight = minimising its negation; the smaller side is assigned
  // completely (zero-weight pairs are dropped below).
  const bool transpose = rows > cols;
  const int r = transpose ? cols : rows, c = transpose ? rows : cols;
  std::vector<std::vector<double>> cost(r, std::vector<double>(c));
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) cost[i][j] = -(transpose ? weights[j][i] : weights[i][j]);
  const std::vector<int> assignment = min_cost_assignment(cost, r, c);
  for (int i = 0; i < r; ++i) {
    const int j = assignment[i];
    if (j < 0) continue;
    const int row = transpose ? j : i, col = transpose ? i : j;
    if (weights[row][col] > 0) result[row] = col;
  }
  return result;
}

}  // namespace ifq::detect
