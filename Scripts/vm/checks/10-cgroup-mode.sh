# cgroup mode: berth must detect the pure v2 hierarchy this guest mounted.
berth cgroup info > /tmp/info.txt 2>&1
if grep -q '^mode: v2$' /tmp/info.txt; then
    pass cgroup-mode "$(head -1 /tmp/info.txt); $(grep 'cgroup.subtree_control' /tmp/info.txt | tr -s ' ')"
else
    fail cgroup-mode "$(head -3 /tmp/info.txt | tr '\n' ' ')"
fi
