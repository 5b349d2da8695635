#pragma once
// Graph algorithms over nodes 0..n-1 whose edges point from a node to what it depends on.
// Iterative, so a chain of ten thousand tasks cannot exhaust the stack. Pure.
#include <cstddef>
#include <vector>

namespace sloth {

using DependencyEdges = std::vector<std::vector<size_t>>;  // edges[node]: the nodes it depends on

// A cycle as the nodes on it, [a, b, c] for a -> b -> c -> a (a depends on b ...), starting at
// the lowest-numbered node from which one is found; empty when the graph is acyclic.
std::vector<size_t> FindCycle(const DependencyEdges& edges);

// Nodes ordered so that each comes after everything it depends on; ties in node order. The
// graph must be acyclic.
std::vector<size_t> TopologicalOrder(const DependencyEdges& edges);

}  // namespace sloth
