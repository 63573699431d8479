def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    net = FFN(X.shape[1], 1, hidden_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        y_pred = net(X).squeeze(1)
        loss = nn.MSELoss()(y_pred, y)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    return net, losses
