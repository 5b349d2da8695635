#include "daemon/core/workflows/dependency_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using sloth::DependencyEdges;
using sloth::FindCycle;
using sloth::TopologicalOrder;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DependencyGraph, AcyclicGraphsHaveNoCycle) {
  EXPECT_THAT(FindCycle({}), IsEmpty());
  EXPECT_THAT(FindCycle({{}, {0}, {0, 1}}), IsEmpty());  // a diamond's half
  EXPECT_THAT(FindCycle({{}, {0}, {0}, {1, 2}}), IsEmpty());
}

TEST(DependencyGraph, FindCycleReturnsTheNodesOnIt) {
  EXPECT_THAT(FindCycle({{0}}), ElementsAre(0u));
  EXPECT_THAT(FindCycle({{1}, {0}}), ElementsAre(0u, 1u));
  EXPECT_THAT(FindCycle({{}, {2}, {3}, {1}}), ElementsAre(1u, 2u, 3u));
  // Reached from a node outside it: only the cycle is named.
  EXPECT_THAT(FindCycle({{1}, {2}, {1}}), ElementsAre(1u, 2u));
}

TEST(DependencyGraph, TopologicalOrderPutsDependenciesFirstAndKeepsNodeOrderOtherwise) {
  EXPECT_THAT(TopologicalOrder({{2}, {}, {}}), ElementsAre(1u, 2u, 0u));
  EXPECT_THAT(TopologicalOrder({{}, {0}, {0}, {1, 2}}), ElementsAre(0u, 1u, 2u, 3u));
}

TEST(DependencyGraph, LongChainsNeedNoRecursion) {
  constexpr size_t kNodes = 200000;
  DependencyEdges chain(kNodes);
  for (size_t i = 1; i < kNodes; ++i) chain[i].push_back(i - 1);
  EXPECT_THAT(FindCycle(chain), IsEmpty());
  EXPECT_EQ(TopologicalOrder(chain).size(), kNodes);
  chain[0].push_back(kNodes - 1);
  EXPECT_EQ(FindCycle(chain).size(), kNodes);
}
