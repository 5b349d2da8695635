#include "daemon/core/workflows/dependency_graph.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace sloth {

std::vector<size_t> FindCycle(const DependencyEdges& edges) {
  enum : char { kUnvisited, kOnPath, kDone };
  std::vector<char> state(edges.size(), kUnvisited);
  // The DFS path: node and the index of its next edge to follow.
  std::vector<std::pair<size_t, size_t>> path;
  for (size_t root = 0; root < edges.size(); ++root) {
    if (state[root] != kUnvisited) continue;
    path.push_back({root, 0});
    state[root] = kOnPath;
    while (!path.empty()) {
      auto& [node, next] = path.back();
      if (next == edges[node].size()) {
        state[node] = kDone;
        path.pop_back();
        continue;
      }
      const size_t to = edges[node][next++];
      if (state[to] == kOnPath) {
        std::vector<size_t> cycle;
        auto it = std::find_if(path.begin(), path.end(), [to](const auto& entry) { return entry.first == to; });
        for (; it != path.end(); ++it) cycle.push_back(it->first);
        return cycle;
      }
      if (state[to] == kUnvisited) {
        state[to] = kOnPath;
        path.push_back({to, 0});
      }
    }
  }
  return {};
}

std::vector<size_t> TopologicalOrder(const DependencyEdges& edges) {
  const size_t n = edges.size();
  std::vector<size_t> waiting(n, 0);  // dependencies not yet placed
  std::vector<std::vector<size_t>> dependants(n);
  for (size_t node = 0; node < n; ++node) {
    waiting[node] = edges[node].size();
    for (size_t to : edges[node]) dependants[to].push_back(node);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t node = 0; node < n; ++node) {
    if (waiting[node] == 0) ready.push(node);
  }
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    const size_t node = ready.top();
    ready.pop();
    order.push_back(node);
    for (size_t d : dependants[node]) {
      if (--waiting[d] == 0) ready.push(d);
    }
  }
  return order;
}

}  // namespace sloth
